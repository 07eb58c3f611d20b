"""The reminder clock's work: claim due rituals, write one push per partner, advance.

Run by `workers.scheduler.reminder_tick` every 30 seconds. The only index it reads is
``rituals.next_fire_at``, so a tick costs what is due, not how many rituals exist. Each
batch is one transaction: rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL (two clocks split the work instead of both doing it), the notifications are
written, next_fire_at advances, and the commit enqueues delivery. The dedupe key of each
notification, unique per (ritual, ritual day, partner), makes "at most once" a database
fact even if two clocks did meet the same row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.db_utils import for_update_skip_locked
from api.i18n import N_, text
from api.notifications.service import notify_many
from api.observability.metrics import REMINDER_LAG
from api.pairing.models import Couple
from api.rituals.calendar import Timeline
from api.rituals.history import RECENT, reminder_after, timelines_since
from api.rituals.models import Ritual, RitualTemplate
from api.rituals.names import ritual_title, templates_of
from api.rituals.service import wall_time
from api.users.models import User

log = logging.getLogger(__name__)

# A reminder not sent within this long after its time is dropped, never sent late in a burst.
LATE_LIMIT = timedelta(minutes=30)
BATCH_SIZE = 500
# A reminder stays on the push service no longer than its occurrence is worth acting on.
RELEVANCE_AFTER_OCCURRENCE = timedelta(minutes=30)
MIN_TTL_SECONDS = 60


@dataclass
class TickResult:
    """What one tick did."""

    reminded: int = 0
    notifications: int = 0
    skipped_late: int = 0
    stopped: int = 0

    @property
    def claimed(self) -> int:
        return self.reminded + self.skipped_late + self.stopped


def due_rituals(*, moment: datetime, batch_size: int) -> Select[tuple[Ritual, Couple]]:
    """The oldest due reminders with their couples: a range scan of the next_fire_at index."""
    return (
        select(Ritual, Couple)
        .join(Couple, Couple.id == Ritual.couple_id)
        .where(Ritual.next_fire_at <= moment)
        .order_by(Ritual.next_fire_at)
        .limit(batch_size)
    )


def run_due(session: Session, *, moment: datetime, batch_size: int = BATCH_SIZE) -> TickResult:
    """Handle every reminder due at ``moment``, one committed batch at a time."""
    result = TickResult()
    while True:
        rows = session.execute(
            due_rituals(moment=moment, batch_size=batch_size).with_for_update(
                of=Ritual, **for_update_skip_locked(session)
            )
        ).all()
        if not rows:
            session.commit()  # end the (empty) claiming transaction
            return result
        # The partners, in one query: each push is rendered in its recipient's locale, and
        # notify() finds them in the session instead of asking once per reminder.
        partner_ids = {uid for _, couple in rows for uid in couple.partner_ids}
        locales = {
            uid: locale
            for uid, locale in session.execute(
                select(User.id, User.locale).where(User.id.in_(partner_ids))
            )
        }
        # Every timeline of the batch in one query, from the earliest instant any one needs.
        earliest = min(min(ritual.next_fire_at, moment) for ritual, _ in rows)  # type: ignore[type-var]
        timelines = timelines_since(
            session, [(r, c) for r, c in rows], earliest.astimezone(UTC).date() - RECENT
        )
        # The templates the rituals were made from: their titles, in each reader's language.
        batch = _Batch(locales=locales, templates=templates_of(session, (r for r, _ in rows)))
        for ritual, couple in rows:
            _handle(session, ritual, couple, timelines[ritual.id], moment, result, batch)
        # The whole batch's pushes in one INSERT ... ON CONFLICT DO NOTHING (per 500 rows).
        result.notifications += len(notify_many(session, batch.notifications))
        session.commit()
        # Loop until nothing is due: a skipped ritual can be due again at once (its next
        # reminder is still within LATE_LIMIT). Each pass moves next_fire_at forward, so this ends.


@dataclass
class _Batch:
    """What a claimed batch collects: its recipients' locales and the pushes to write."""

    locales: dict[int, str | None]
    templates: dict[str, RitualTemplate] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)


def _handle(
    session: Session,
    ritual: Ritual,
    couple: Couple,
    timeline: Timeline,
    moment: datetime,
    result: TickResult,
    batch: _Batch,
) -> None:
    fire_at = ritual.next_fire_at
    assert fire_at is not None  # selected by next_fire_at <= moment
    # Pausing, deleting and disabling clear next_fire_at themselves; unpairing does not touch
    # rituals, so the clock is where it takes effect.
    if (
        ritual.paused
        or ritual.deleted_at is not None
        or not ritual.reminder_enabled
        or couple.unpaired_at is not None
    ):
        ritual.next_fire_at = ritual.next_fire_day = None
        result.stopped += 1
        return
    try:
        _remind_or_skip(ritual, couple, timeline, fire_at, moment, result, batch)
    except ValueError:
        # A schedule the math refuses (a zone gone from the tz database) must not wedge the
        # clock: this ritual stops reminding, the others go on.
        log.exception("ritual %s has an unusable schedule; its reminders stop", ritual.id)
        ritual.next_fire_at = ritual.next_fire_day = None
        result.stopped += 1


def _remind_or_skip(
    ritual: Ritual,
    couple: Couple,
    timeline: Timeline,
    fire_at: datetime,
    moment: datetime,
    result: TickResult,
    batch: _Batch,
) -> None:
    REMINDER_LAG.observe(max(0.0, (moment - fire_at).total_seconds()))
    lead = timedelta(minutes=ritual.reminder_minutes_before)
    day = ritual.next_fire_day
    if day is None or timeline.occurrence(day) - lead != fire_at:
        # A next_fire_at written without its day (before reminders were keyed by day, or by
        # hand): ask the calendar which ritual day this occurrence is in.
        day = timeline.day_of(fire_at + lead)
    # A day already reminded (its zone moved since) is never reminded a second time.
    already = ritual.reminded_through is not None and day <= ritual.reminded_through
    if already:
        log.info("reminder for ritual %s day %s skipped: already reminded", ritual.id, day)
    elif moment - fire_at > LATE_LIMIT:
        result.skipped_late += 1
        log.info("reminder for ritual %s at %s dropped: too late", ritual.id, fire_at.isoformat())
    else:
        template = batch.templates.get(ritual.template_key or "")
        batch.notifications.extend(
            _reminders(ritual, couple, fire_at, day, moment, batch.locales, template)
        )
        result.reminded += 1
        ritual.reminded_through = max(day, ritual.reminded_through or day)
    # Next: after this one, and never one that is already too late to send.
    nxt = reminder_after(ritual, timeline, max(fire_at, moment - LATE_LIMIT))
    ritual.next_fire_day, ritual.next_fire_at = nxt if nxt else (None, None)


def _reminders(
    ritual: Ritual,
    couple: Couple,
    fire_at: datetime,
    local_date: date,
    moment: datetime,
    locales: dict[int, str | None],
    template: RitualTemplate | None = None,
) -> list[dict[str, Any]]:
    """One reminder per partner, rendered in each one's language, for notify_many."""
    occurrence = fire_at + timedelta(minutes=ritual.reminder_minutes_before)
    stamp = occurrence.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    at = wall_time(ritual.time)
    if ritual.reminder_minutes_before:
        body = text(
            N_("In %(minutes)s min, at %(time)s."),
            minutes=ritual.reminder_minutes_before,
            time=at,
        )
    else:
        body = text(N_("It's %(time)s: time for this one together."), time=at)
    ttl = int((occurrence + RELEVANCE_AFTER_OCCURRENCE - moment).total_seconds())
    title = ritual_title(ritual, template)
    return [
        {
            "recipient_id": user_id,
            "couple_id": couple.id,
            "category": "ritual_reminder",
            "title": title.render(locales.get(user_id)),
            "body": body.render(locales.get(user_id)),
            "data": {
                "ritual_id": str(ritual.id),
                "occurrence_at": stamp,
                "local_date": local_date.isoformat(),
            },
            # Keyed by the ritual day, not the instant: a zone change cannot make a second one.
            "dedupe_key": f"reminder:{ritual.id}:{local_date.isoformat()}:{user_id}",
            # The occurrence: a repeat of the same reminder replaces, never stacks.
            "collapse_key": f"ritual-{ritual.id}-{stamp}",
            "ttl_seconds": max(MIN_TTL_SECONDS, ttl),
        }
        for user_id in couple.partner_ids
    ]
