"""When a couple's daily-question reminder is due: ``couples.next_question_at``.

The reminder of couple-day D is at ``question_time`` couple-local on D (on the next calendar
date when question_time is earlier than day_starts_at, since the couple's day runs past
midnight). Wall times go through the rituals' resolve_local: a time in a DST gap fires at the
jump, an ambiguous one at its first instant. ORM listeners keep next_question_at in step with
the couple's settings, so the pairing code need not know about questions.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from api.clock import now
from api.lifecycle import couple_unpaired
from api.pairing.models import Couple
from api.rituals import calendar
from api.rituals.schedule import resolve_local
from api.streaks.days import couple_today

# What a change of any of these moves: the wall time, the zone, or which day is "today".
_SETTINGS = ("question_time", "timezone", "day_starts_at")


def reminder_at(couple: Couple, day: date) -> datetime:
    """The UTC instant of the reminder of the couple's ``day``."""
    wall_day = day if couple.question_time >= couple.day_starts_at else day + timedelta(days=1)
    return resolve_local(wall_day, couple.question_time, couple.timezone)


def next_reminder_after(couple: Couple, instant: datetime) -> datetime:
    """The first reminder strictly after ``instant``."""
    today = couple_today(couple, instant)
    # Yesterday's can still be ahead when question_time is before day_starts_at.
    for offset in (-1, 0, 1, 2):
        at = reminder_at(couple, today + timedelta(days=offset))
        if at > instant:
            return at
    raise AssertionError("a reminder is due within two days")  # pragma: no cover


def reminder_day(couple: Couple, fire_at: datetime) -> date:
    """The couple-day a reminder fired at ``fire_at`` belongs to."""
    return couple_today(couple, fire_at)


@event.listens_for(Couple, "before_insert")
def _schedule_new_couple(mapper: object, connection: object, couple: Couple) -> None:
    if couple.unpaired_at is None and couple.next_question_at is None:
        _fill_defaults(couple)
        couple.next_question_at = next_reminder_after(couple, now())


@event.listens_for(Couple, "before_update")
def _reschedule_on_change(mapper: object, connection: object, couple: Couple) -> None:
    state = inspect(couple)
    if couple.unpaired_at is not None:
        return
    if any(state.attrs[name].history.has_changes() for name in _SETTINGS):
        # From now on: today's reminder, if still ahead, comes at the new time. One already
        # sent today is not sent again (its dedupe key is per couple-day and partner).
        instant = now()
        owed = _owed_after_move(couple, instant) if state.attrs.timezone.history.deleted else None
        couple.next_question_at = owed or next_reminder_after(couple, instant)


def _owed_after_move(couple: Couple, instant: datetime) -> datetime | None:
    """When today's reminder, not yet sent and put behind the couple by a move, falls due.

    Moving east, a reminder still ahead (or due, the tick not yet run) in the old zone can be
    behind in the new one: from now on it was skipped for tomorrow's. It stays due while its
    day is still the couple's day, judged late from its old instant or the move, whichever is
    earlier, and filed inside that day in the new zone (reminder_day reads it back). A move
    that carried the couple into the next day leaves it: it was about a question now past.
    """
    fire_at = couple.next_question_at  # the reminder pending in the old zone
    if fire_at is None:
        return None
    day = calendar.local_day(
        fire_at, tz=_before(couple, "timezone"), starts_at=_before(couple, "day_starts_at")
    )
    due = reminder_at(couple, day)
    if couple_today(couple, instant) != day or due > instant:
        return None  # another day now, or still ahead in the new zone: from now finds it
    return max(due, min(fire_at, instant))


def _before(couple: Couple, name: str) -> Any:
    """A couple's setting as it was before this flush changed it."""
    deleted = inspect(couple).attrs[name].history.deleted
    return deleted[0] if deleted else getattr(couple, name)


def _fill_defaults(couple: Couple) -> None:
    # Column defaults apply at INSERT, after this listener: compute with the same values.
    if couple.question_time is None:
        couple.question_time = time(19, 0)
    if couple.day_starts_at is None:
        couple.day_starts_at = time(4, 0)
    if couple.timezone is None:
        couple.timezone = "UTC"


@couple_unpaired.connect
def _stop_reminders(couple: Couple, *, session: Session, **_: object) -> None:
    """An unpaired couple gets no more reminders (and the clock never claims it again)."""
    session.execute(
        update(Couple)
        .where(Couple.id == couple.id)
        .values(next_question_at=None)
        .execution_options(synchronize_session=False)
    )
