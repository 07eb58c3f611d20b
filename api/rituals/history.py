"""Schedule history: every change of a ritual's calendar is recorded from its current day on.

A session listener rather than calls in the services, so that every way a schedule changes
(a ritual PATCH, a couple PATCH of its zone or day start, an admin shell, a factory) leaves
the history that the calendar (api.rituals.calendar.Timeline) and the streaks read. It also
makes followers follow: a couple's new zone is copied onto its rituals that follow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, event, func, inspect, or_, select
from sqlalchemy.orm import Session, aliased

from api.clock import now
from api.db_json import as_date, as_list, as_time, decode, json_rows
from api.pairing.models import Couple
from api.rituals.calendar import EPOCH, Schedule, Timeline, next_reminder, timeline_from_rows
from api.rituals.models import Ritual, RitualSchedule

# Rows loaded for "now" questions: the ones from a few days before the UTC date on, plus the
# one in force then. Any local day is within a day of the UTC date; the rest is margin.
RECENT = timedelta(days=4)


def current_schedule(ritual: Ritual, couple: Couple) -> Schedule:
    """The ritual's schedule as its row and its couple stand now."""
    return Schedule(tuple(ritual.days), ritual.time, ritual.timezone, couple.day_starts_at)


def in_force_from(
    effective_from: Any, latest_before: ColumnElement[date], bound: Any
) -> ColumnElement[bool]:
    """A schedule row's condition: it is the one in force on ``bound`` or starts after it.

    ``latest_before`` is the largest effective_from on or before ``bound`` (NULL if none). No
    row lies between it and ``bound``, so "after bound, or the one in force" is one range from
    it on (from ``bound`` when there is none): an index range scan, not an OR of two.
    """
    return effective_from >= func.coalesce(latest_before, bound)


def load_timelines(
    session: Session, couple: Couple, rituals: Sequence[Ritual], since: dict[int, date]
) -> dict[int, Timeline]:
    """Each ritual's timeline from ``since[id]`` on (and the schedule in force then): one query."""
    if not rituals:
        return {}
    conditions = []
    for ritual in rituals:
        bound = since[ritual.id]
        latest_before = (
            select(func.max(RitualSchedule.effective_from))
            .where(RitualSchedule.ritual_id == ritual.id, RitualSchedule.effective_from <= bound)
            .scalar_subquery()
        )
        conditions.append(
            and_(
                RitualSchedule.ritual_id == ritual.id,
                in_force_from(RitualSchedule.effective_from, latest_before, bound),
            )
        )
    rows: dict[int, list[tuple[date, Schedule]]] = {r.id: [] for r in rituals}
    for row in session.scalars(select(RitualSchedule).where(or_(*conditions))):
        rows[row.ritual_id].append(
            (
                row.effective_from,
                Schedule(tuple(row.days), row.time, row.timezone, row.day_starts_at),
            )
        )
    return {r.id: timeline_from_rows(rows[r.id], current_schedule(r, couple)) for r in rituals}


def timelines_since(
    session: Session, rituals: Sequence[tuple[Ritual, Couple]], bound: date
) -> dict[int, Timeline]:
    """Timelines of many rituals (of any couples) from ``bound`` on, in one query.

    One bound for all: a ritual gets the rows from there on and the one in force then, which
    answers every question about days from ``bound`` on (earlier rows only add history).
    """
    if not rituals:
        return {}
    earlier = aliased(RitualSchedule)
    latest_before = (
        select(func.max(earlier.effective_from))
        .where(earlier.ritual_id == RitualSchedule.ritual_id, earlier.effective_from <= bound)
        .scalar_subquery()
    )
    rows: dict[int, list[tuple[date, Schedule]]] = {r.id: [] for r, _ in rituals}
    for row in session.scalars(
        select(RitualSchedule).where(
            RitualSchedule.ritual_id.in_(list(rows)),
            in_force_from(RitualSchedule.effective_from, latest_before, bound),
        )
    ):
        rows[row.ritual_id].append(
            (
                row.effective_from,
                Schedule(tuple(row.days), row.time, row.timezone, row.day_starts_at),
            )
        )
    return {r.id: timeline_from_rows(rows[r.id], current_schedule(r, c)) for r, c in rituals}


def schedules_column(dialect: str, since: ColumnElement[date]) -> ColumnElement[Any]:
    """The schedule rows of the outer query's Ritual from ``since`` on (and the one then), as JSON.

    For folding a timeline into the SELECT that loads the ritual; read it back with
    :func:`timeline_from_json`. ``since`` may be any expression of the outer row.
    """
    # Table columns, not mapped attributes: a SELECT of columns holding it stays a Core one
    # (no ORM compile step per execution).
    rows, ritual_id = RitualSchedule.__table__, Ritual.__table__.c.id
    earlier = rows.alias("earlier")
    latest_before = (
        select(func.max(earlier.c.effective_from))
        .where(earlier.c.ritual_id == ritual_id, earlier.c.effective_from <= since)
        .correlate_except(earlier)
        .scalar_subquery()
    )
    return json_rows(
        dialect,
        [rows.c.effective_from, rows.c.days, rows.c.time, rows.c.timezone, rows.c.day_starts_at],
        rows.c.ritual_id == ritual_id,
        in_force_from(rows.c.effective_from, latest_before, since),
        own=[rows],
    )


def timeline_from_json(ritual: Ritual, couple: Couple, value: Any) -> Timeline:
    """The timeline a :func:`schedules_column` value holds (as :func:`load_timelines` builds it)."""
    rows = [
        (
            as_date(effective_from),
            Schedule(tuple(as_list(days)), as_time(at), tz, as_time(starts)),
        )
        for effective_from, days, at, tz, starts in decode(value)
    ]
    return timeline_from_rows(rows, current_schedule(ritual, couple))  # type: ignore[arg-type]


def recent_timeline(session: Session, couple: Couple, ritual: Ritual, moment: datetime) -> Timeline:
    """The ritual's timeline around ``moment`` (enough to answer "which day is it now")."""
    bound = moment.astimezone(UTC).date() - RECENT
    return load_timelines(session, couple, [ritual], {ritual.id: bound})[ritual.id]


def reminder_after(
    ritual: Ritual, timeline: Timeline, after: datetime
) -> tuple[date, datetime] | None:
    """The ritual day and instant of the first reminder after ``after``; None when none will."""
    if ritual.paused or not ritual.reminder_enabled or ritual.deleted_at is not None:
        return None
    not_before = (ritual.reminded_through or date.min) + timedelta(days=1)
    return next_reminder(
        timeline,
        after=after,
        lead=timedelta(minutes=ritual.reminder_minutes_before),
        not_before=not_before,
    )


def refresh_next_fire(ritual: Ritual, timeline: Timeline, *, moment: datetime) -> None:
    """Recompute next_fire_at (and its day) after any change: the clock reads only these."""
    nxt = reminder_after(ritual, timeline, moment)
    ritual.next_fire_day, ritual.next_fire_at = nxt if nxt else (None, None)


def last_check_in_day(session: Session, ritual: Ritual) -> date | None:
    """The latest day anyone checked in for this ritual (a completed day keeps its schedule)."""
    from api.streaks.models import CheckIn  # streaks build on rituals, not the other way round

    if ritual.id is None:
        return None
    return session.scalar(
        select(func.max(CheckIn.local_date)).where(CheckIn.ritual_id == ritual.id)
    )


# -- the listener ---------------------------------------------------------------------------

_SCHEDULE_FIELDS = ("days", "time", "timezone")


def _changed(obj: Any, names: Sequence[str]) -> bool:
    """Whether any of the attributes got a different value (not merely assigned again)."""
    attrs = inspect(obj).attrs
    for name in names:
        history = attrs[name].history
        if history.added and list(history.added) != list(history.deleted):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _record_schedules(session: Session, flush_context: Any, instances: Any) -> None:
    moment = now()
    handled: set[int] = set()
    with session.no_autoflush:
        for obj in list(session.dirty):
            if isinstance(obj, Couple) and _changed(obj, ("timezone", "day_starts_at")):
                _couple_changed(session, obj, moment, handled)
        for obj in list(session.new):
            if isinstance(obj, Ritual):
                couple = session.get(Couple, obj.couple_id)
                if couple is not None:
                    session.add(_row(obj, couple, EPOCH))
        for obj in list(session.dirty):
            if (
                isinstance(obj, Ritual)
                and id(obj) not in handled
                and obj.deleted_at is None
                and _changed(obj, _SCHEDULE_FIELDS)
            ):
                couple = session.get(Couple, obj.couple_id)
                if couple is not None:
                    _record(session, obj, couple, moment)


def _couple_changed(session: Session, couple: Couple, moment: datetime, handled: set[int]) -> None:
    """A couple's zone or day start moved: every live ritual's calendar moves from its today."""
    rituals = session.scalars(
        select(Ritual).where(Ritual.couple_id == couple.id, Ritual.deleted_at.is_(None))
    ).all()
    for ritual in rituals:
        if ritual.follows_couple:
            ritual.timezone = couple.timezone
        _record(session, ritual, couple, moment)
        handled.add(id(ritual))


def _row(ritual: Ritual, couple: Couple, effective_from: date) -> RitualSchedule:
    return RitualSchedule(
        ritual=ritual,
        effective_from=effective_from,
        days=list(ritual.days),
        time=ritual.time,
        timezone=ritual.timezone,
        day_starts_at=couple.day_starts_at,
    )


def _record(session: Session, ritual: Ritual, couple: Couple, moment: datetime) -> None:
    """The ritual's schedule as it now stands applies from its current day (old calendar).

    Or from the day after the last day already checked in or reminded, when that is later (today
    already done or reminded, tomorrow's early reminder): such a day keeps the schedule it was
    reminded and completed under, so no edit takes it away or reminds it twice.
    """
    # The stored rows are still the old ones: "today" is judged by the calendar in force.
    timeline = recent_timeline(session, couple, ritual, moment)
    effective_from = timeline.day_of(moment)
    # A day already reminded or checked in keeps its schedule: its reminder's promise (a check-in
    # in the hour after it counts for it) and its verdict cannot be taken back by an edit.
    for kept_day in (last_check_in_day(session, ritual), ritual.reminded_through):
        if kept_day is not None and kept_day >= effective_from:
            effective_from = kept_day + timedelta(days=1)
    new = current_schedule(ritual, couple)
    if timeline.latest == new:
        # Nothing this ritual's calendar depends on changed (the couple's zone, for a ritual
        # with its own). Even when a move west made today earlier than the latest row's first
        # day: moving that row back would judge a day already passed by a schedule made after.
        return
    # A later row can only exist after a move west made today earlier: the new edit replaces it.
    session.execute(
        delete(RitualSchedule).where(
            RitualSchedule.ritual_id == ritual.id,
            RitualSchedule.effective_from >= effective_from,
        )
    )
    session.add(_row(ritual, couple, effective_from))
    kept = [e for e in timeline.entries if e[0] < effective_from]
    # A schedule the math refuses (a zone gone from the tz database) is stopped by the clock
    # on its next tick; a write must not fail because of it.
    with suppress(ValueError):
        refresh_next_fire(ritual, Timeline.of([*kept, (effective_from, new)]), moment=moment)
