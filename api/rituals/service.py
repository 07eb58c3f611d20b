"""Use cases of rituals: templates, a couple's rituals, and when each one next fires."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Date, Row, Select, bindparam, func, select
from sqlalchemy import delete as delete_rows
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency
from api.clock import now
from api.content.loader import content_language
from api.db_utils import execute_core, unique_violation
from api.errors import Conflict, Invalid, NotFound, RateLimited
from api.i18n import N_
from api.lifecycle import user_erasing
from api.notifications.models import Notification
from api.pairing.models import Couple
from api.quotas import service as quotas
from api.rituals.calendar import EPOCH, Timeline, next_reminder
from api.rituals.history import (
    RECENT,
    current_schedule,
    load_timelines,
    recent_timeline,
    refresh_next_fire,
    schedules_column,
    timeline_from_json,
)
from api.rituals.models import Ritual, RitualTemplate
from api.rituals.schedule import WEEKDAYS
from api.streaks.days import couple_current_day, seconds_until_next_day
from api.users.models import User
from api.users.service import lock_own_account

# A couple's rituals are listed unpaginated: the number a couple can keep is bounded.
MAX_RITUALS_PER_COUPLE = 50
# Rituals one partner may create per couple-day: deleted rituals stay as rows (their history),
# so the live cap alone would let create-delete loops grow the table without end.
RITUALS_CREATED_PER_DAY = 20

DEFAULT_REMINDER = {"enabled": True, "minutes_before": 0}
DEFAULT_COMPLETION = "either"


class RitualNotFound(NotFound):
    title = N_("Ritual not found")


class RitualDailyLimit(RateLimited):
    title = N_("Daily limit reached")


class TooManyRituals(Conflict):
    title = N_("Too many rituals")


class RitualPaused(Conflict):
    title = N_("Ritual paused")


class NotScheduledToday(Conflict):
    title = N_("Not a day of this ritual")


# --------------------------------------------------------------------------- schedule


def _canonical_days(days: list[str]) -> list[str]:
    wanted = set(days)
    return [d for d in WEEKDAYS if d in wanted]


def occurrence_after(ritual: Ritual, timeline: Timeline, after: datetime) -> datetime:
    """The ritual's first occurrence strictly after ``after`` (ignores paused and reminders)."""
    return next_reminder(timeline, after=after, lead=timedelta(0), not_before=date.min)[1]


def timelines_for(
    session: Session, couple: Couple, rituals: list[Ritual], moment: datetime
) -> dict[int, Timeline]:
    """The timelines of several rituals around ``moment``, in one query."""
    bound = moment.astimezone(UTC).date() - RECENT
    return load_timelines(session, couple, rituals, {r.id: bound for r in rituals})


def to_dict(
    ritual: Ritual | Row[Any], *, couple: Couple, moment: datetime, timeline: Timeline | None = None
) -> dict[str, Any]:
    """The API representation of a ritual (or its row) at ``moment`` (``timeline``: its schedule
    history)."""
    if timeline is None:
        timeline = Timeline.of([(EPOCH, current_schedule(ritual, couple))])
    upcoming = None if ritual.paused else occurrence_after(ritual, timeline, moment)
    return {
        "id": ritual.id,
        "template_key": ritual.template_key,
        "title": ritual.title,
        "description": ritual.description,
        "schedule": {
            "days": ritual.days,
            "time": ritual.time,
            "timezone": ritual.timezone,
            "follows_couple": ritual.follows_couple,
        },
        "reminder": {
            "enabled": ritual.reminder_enabled,
            "minutes_before": ritual.reminder_minutes_before,
        },
        "completion": ritual.completion,
        "paused": ritual.paused,
        "client_id": ritual.client_id,
        "created_by_id": ritual.created_by_id,
        "created_at": ritual.created_at,
        "next_occurrence_at": upcoming,
        "next_reminder_at": ritual.next_fire_at,
    }


def refuse_nudge_unless_due(ritual: Ritual, *, timeline: Timeline, today: date) -> None:
    """409 for a nudge about a ritual with nothing due: paused, or ``today`` (the ritual's own
    day, from its ``timeline``) not a scheduled day."""
    # API.md: a pause stops reminders; a nudge is a reminder from the partner.
    if ritual.paused:
        raise RitualPaused(N_("This ritual is paused: there is nothing to remind of."))
    if not timeline.is_scheduled(today):
        raise NotScheduledToday(N_("Today is not a scheduled day of this ritual."))


# --------------------------------------------------------------------------- templates


@functools.cache
def _templates_statement() -> Select[Any]:
    """list_templates' SELECT, built once."""
    templates = RitualTemplate.__table__.c
    # Columns, not RitualTemplate objects: template_to_dict reads a row as it reads an object,
    # and a Core SELECT skips the ORM's object loading (as the rituals' own reads do).
    return select(*templates).where(templates.retired_at.is_(None)).order_by(templates.id)


def list_templates(session: Session) -> list[Row[Any]]:
    """The live (not retired) templates, in content order, as rows of their columns."""
    return list(execute_core(session, _templates_statement()))


def template_to_dict(
    template: RitualTemplate | Row[Any], locale: str | None = None
) -> dict[str, Any]:
    """The API representation of a template, its words in locale's language (else English)."""
    words = (template.translations or {}).get(content_language(locale), {})
    return {
        "key": template.key,
        "title": words.get("title", template.title),
        "description": words.get("description", template.description),
        "schedule": {"days": template.schedule_days, "time": template.schedule_time},
        "completion": template.completion,
        "reminder": {
            "enabled": template.reminder_enabled,
            "minutes_before": template.reminder_minutes_before,
        },
    }


# --------------------------------------------------------------------------- rituals


@functools.cache
def _with_timelines_statement(dialect: str) -> Select[Any]:
    """The couple's live rituals with their schedule rows, built once per dialect.

    Bound parameters: ``couple_id`` and ``since`` (a date). Building the JSON subqueries was
    most of the list's CPU when it was done per request.
    """
    since = bindparam("since", type_=Date)
    rituals = Ritual.__table__.c
    # Columns, not Ritual objects: to_dict reads a row as it reads a Ritual, and a Core SELECT
    # skips the ORM's compile step and object loading (about a fifth of the list's CPU).
    return (
        select(*rituals, schedules_column(dialect, since))
        .where(rituals.couple_id == bindparam("couple_id"), rituals.deleted_at.is_(None))
        .order_by(rituals.id)
    )


def list_with_timelines(
    session: Session, *, couple: Couple, moment: datetime
) -> list[tuple[Row[Any], Timeline]]:
    """The couple's rituals (rows of columns), oldest first, each with its timeline around
    ``moment``: one SELECT."""
    statement = _with_timelines_statement(session.get_bind().dialect.name)
    params = {"couple_id": couple.id, "since": moment.astimezone(UTC).date() - RECENT}
    return [
        (row, timeline_from_json(row, couple, row[-1]))
        for row in execute_core(session, statement, params).all()
    ]


@functools.cache
def _get_statement(lock: bool) -> Select[tuple[Ritual]]:
    """The live ritual by ``ritual_id`` in the couple ``couple_id`` (bound), built once."""
    stmt = select(Ritual).where(
        Ritual.id == bindparam("ritual_id"),
        Ritual.couple_id == bindparam("couple_id"),
        Ritual.deleted_at.is_(None),
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return stmt


def get(session: Session, *, couple: Couple, ritual_id: int, lock: bool = False) -> Ritual:
    """One of the couple's rituals; anyone else's, or a deleted one, is a 404.

    lock: for a change, the row's lock a check-in takes (FOR NO KEY UPDATE), read as it is now.
    """
    params = {"ritual_id": ritual_id, "couple_id": couple.id}
    ritual = session.scalar(_get_statement(lock), params)
    if ritual is None:
        raise RitualNotFound(N_("No such ritual."))
    return ritual


@functools.cache
def _one_with_timeline_statement(dialect: str) -> Select[Any]:
    """The list's statement narrowed to ``ritual_id`` (bound), built once per dialect."""
    return _with_timelines_statement(dialect).where(Ritual.__table__.c.id == bindparam("ritual_id"))


def get_with_timeline(
    session: Session, *, couple: Couple, ritual_id: int, moment: datetime
) -> tuple[Row[Any], Timeline]:
    """One of the couple's rituals (a row of columns) with its timeline around ``moment`` (one
    SELECT), as get."""
    statement = _one_with_timeline_statement(session.get_bind().dialect.name)
    params = {
        "couple_id": couple.id,
        "ritual_id": ritual_id,
        "since": moment.astimezone(UTC).date() - RECENT,
    }
    row = execute_core(session, statement, params).first()
    if row is None:
        raise RitualNotFound(N_("No such ritual."))
    return row, timeline_from_json(row, couple, row[-1])


def _by_client_id(session: Session, couple: Couple, client_id: str) -> Ritual | None:
    return session.scalar(
        select(Ritual).where(Ritual.couple_id == couple.id, Ritual.client_id == client_id)
    )


def create(
    session: Session, *, couple: Couple, user_id: int, body: dict[str, Any]
) -> tuple[Ritual, bool]:
    """Create a ritual (missing fields from its template); a client_id replay returns the first."""
    client_id = str(UUID(str(body["client_id"])))
    existing = _by_client_id(session, couple, client_id)
    if existing is not None:
        if existing.deleted_at is not None:
            # A late retry of a ritual deleted since: it is gone, as GET says (not a 200 with
            # a ritual the phone would show again).
            raise RitualNotFound(N_("No such ritual."))
        idempotency.check_owner(existing, Ritual.created_by_id, user_id=user_id)
        return existing, False
    # The couple's row is locked before counting: both partners creating the 50th ritual at
    # once each counted 49 (the daily quota is per user and does not serialize them).
    session.execute(select(Couple.id).where(Couple.id == couple.id).with_for_update(key_share=True))
    lock_own_account(session, session.get(User, user_id))  # type: ignore[arg-type]
    count = session.scalar(
        select(func.count())
        .select_from(Ritual)
        .where(Ritual.couple_id == couple.id, Ritual.deleted_at.is_(None))
    )
    if (count or 0) >= MAX_RITUALS_PER_COUPLE:
        raise TooManyRituals(
            N_("A couple can keep at most %(limit)s rituals."), limit=MAX_RITUALS_PER_COUPLE
        )
    moment = now()
    today = couple_current_day(session, couple, moment)  # the lasting day, as every quota
    if not quotas.take(
        session,
        user_id=user_id,
        scope=f"ritual:couple:{couple.id}",
        day=today,
        limit=RITUALS_CREATED_PER_DAY,
    ):
        session.rollback()
        raise RitualDailyLimit(
            N_("At most %(limit)s new rituals a day."),
            limit=RITUALS_CREATED_PER_DAY,
            retry_after=seconds_until_next_day(couple, moment, today),
        )

    creator = session.get(User, user_id)
    # A ritual made from a template is titled in its creator's language.
    values = _with_template_defaults(session, body, creator.locale if creator else None)
    schedule = values["schedule"]
    # Validated where it came in (the TimeZone field). None or missing: follow the couple.
    timezone = schedule.get("timezone")
    moment = now()
    ritual = Ritual(
        couple_id=couple.id,
        template_key=values.get("template_key"),
        title=values["title"],
        description=values.get("description", ""),
        days=_canonical_days(schedule["days"]),
        time=schedule["time"],
        timezone=timezone or couple.timezone,
        follows_couple=timezone is None,
        reminder_enabled=values["reminder"]["enabled"],
        reminder_minutes_before=values["reminder"]["minutes_before"],
        completion=values.get("completion", DEFAULT_COMPLETION),
        paused=body.get("paused", False),
        client_id=client_id,
        created_by_id=user_id,
        created_at=moment,
    )
    refresh_next_fire(
        ritual, Timeline.of([(EPOCH, current_schedule(ritual, couple))]), moment=moment
    )
    session.add(ritual)
    try:
        session.commit()
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        # The same client_id raced in from a retry on another connection: answer with it.
        session.rollback()
        existing = _by_client_id(session, couple, client_id)
        if existing is None:
            raise
        idempotency.check_owner(existing, Ritual.created_by_id, user_id=user_id)
        return existing, False
    return ritual, True


def _with_template_defaults(
    session: Session, body: dict[str, Any], locale: str | None = None
) -> dict[str, Any]:
    """The body with every missing field filled from its template (or the defaults)."""
    template: RitualTemplate | None = None
    key = body.get("template_key")
    if key is not None:
        template = session.scalar(
            select(RitualTemplate).where(
                RitualTemplate.key == key, RitualTemplate.retired_at.is_(None)
            )
        )
        if template is None:
            raise Invalid("template_key", N_("No such template."))
    base: dict[str, Any] = {"reminder": dict(DEFAULT_REMINDER), "schedule": {}}
    if template is not None:
        base = template_to_dict(template, locale)
        base["template_key"] = template.key
        base["schedule"] = dict(base["schedule"])
    merged = {**base, **{k: v for k, v in body.items() if k not in ("schedule", "reminder")}}
    merged["schedule"] = {**base["schedule"], **body.get("schedule", {})}
    merged["reminder"] = {**base["reminder"], **body.get("reminder", {})}
    if not merged.get("title"):
        raise Invalid("title", N_("Required (no template gives it)."))
    for name in ("days", "time"):
        if name not in merged["schedule"]:
            raise Invalid(f"schedule.{name}", N_("Required (no template gives it)."))
    return merged


def update(session: Session, *, couple: Couple, ritual_id: int, changes: dict[str, Any]) -> Ritual:
    """Apply a validated partial update; the clock sees the new schedule on its next tick."""
    # Locked: both partners pausing at once each saw no open pause and opened one, and the
    # resume closed only one of them (missed days then counted as paused for ever); two
    # schedule edits at once each recorded their change against a schedule the other replaced.
    ritual = get(session, couple=couple, ritual_id=ritual_id, lock=True)
    before = _timing(ritual)
    for key in ("title", "description", "completion", "paused"):
        if key in changes:
            setattr(ritual, key, changes[key])
    schedule = changes.get("schedule", {})
    if "days" in schedule:
        ritual.days = _canonical_days(schedule["days"])
    if "time" in schedule:
        ritual.time = schedule["time"]
    if "timezone" in schedule:
        # null: follow the couple's zone from now on; a name: keep it whatever the couple does
        ritual.follows_couple = schedule["timezone"] is None
        ritual.timezone = schedule["timezone"] or couple.timezone
    reminder = changes.get("reminder", {})
    if "enabled" in reminder:
        ritual.reminder_enabled = reminder["enabled"]
    if "minutes_before" in reminder:
        ritual.reminder_minutes_before = reminder["minutes_before"]
    # Only a change of when it fires moves the reminder: recomputing for a new title between
    # a reminder's time and the clock's next tick would skip a reminder that is due.
    if _timing(ritual) != before:
        # A change of days, time or zone is recorded (next_fire_at redone) by api.rituals.history.
        moment = now()
        refresh_next_fire(ritual, recent_timeline(session, couple, ritual, moment), moment=moment)
    session.commit()
    return ritual


def _timing(ritual: Ritual) -> tuple[Any, ...]:
    return (
        tuple(ritual.days),
        ritual.time,
        ritual.timezone,
        ritual.follows_couple,
        ritual.paused,
        ritual.reminder_enabled,
        ritual.reminder_minutes_before,
    )


def delete(session: Session, *, couple: Couple, ritual_id: int) -> None:
    """Delete a ritual: gone from the API and the clock at once; its history stays for streaks."""
    ritual = get(session, couple=couple, ritual_id=ritual_id, lock=True)
    ritual.deleted_at = now()
    ritual.next_fire_at = ritual.next_fire_day = None
    session.commit()


def wall_time(value: time) -> str:
    """HH:MM, as the API and the pushes show a wall-clock time."""
    return value.strftime("%H:%M")


@user_erasing.connect
def _erase_rituals_the_user_created(user: Any, *, session: Session, **_: Any) -> None:
    """Erasure: rituals the user created carry their words (title, description); they go at once.

    The user has been unpaired first, so these rituals are already out of the partner's reach;
    their check-ins, pauses and streaks go with them (ON DELETE CASCADE). Every push about them
    (reminders, check-ins, nudges, streaks) carries the title: the partner's copies go too.
    """
    rows = session.execute(
        select(Ritual.id, Couple.user_a_id, Couple.user_b_id)
        .join(Couple, Couple.id == Ritual.couple_id)
        .where(Ritual.created_by_id == user.id)
    ).all()
    if rows:
        # Only the rituals' couples' members can hold such pushes: their feeds are indexed,
        # the JSON inside is not. Notification.data holds ids as strings (FCM data values).
        recipients = {uid for _, *members in rows for uid in members if uid is not None}
        session.execute(
            delete_rows(Notification).where(
                Notification.recipient_id.in_(recipients),
                Notification.data["ritual_id"].as_string().in_([str(r[0]) for r in rows]),
            ),
            execution_options={"synchronize_session": False},
        )
    session.execute(delete_rows(Ritual).where(Ritual.created_by_id == user.id))
