"""The couple's local day: it begins at day_starts_at in the couple's time zone.

Thin wrappers over the one calendar function (api.rituals.calendar): a day start in a
repeated hour is its first instant, one in a DST gap is the jump, and once a day has begun
it stays begun. Other domains (questions, moods, memories, recaps) call these for the
couple's day; a ritual's own day comes from its timeline (api.rituals.calendar.Timeline).
A domain whose rows are dated by the couple's day reads today with lasting_day: after a move
west its latest day lasts instead of the day before coming back.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, bindparam, func, select
from sqlalchemy.orm import Session

from api.pairing.models import Couple
from api.rituals import calendar


def couple_today(couple: Couple, instant: datetime) -> date:
    """The couple's day at ``instant``: a kiss at 01:30 belongs to the evening before."""
    return calendar.local_day(instant, tz=couple.timezone, starts_at=couple.day_starts_at)


@functools.cache
def lasting_day(model: Any) -> ColumnElement[date]:
    """SQL for the couple's day for ``model``'s rows: never before the latest they hold.

    A move west (or a later day start) takes the couple's day back by one. The latest day the
    couple's rows already hold (``model.local_date`` where ``model.couple_id`` is theirs) then
    lasts until the new zone's own day catches up, as a ritual's day does: nothing new is dated
    a day already lived, and today's rows stay today's. An expression, so that a read of
    today's rows stays one query; built once per model, with bound parameters ``couple_id``
    and ``day`` (the couple's day now: lasting_params gives both).
    """
    day = bindparam("day", type_=Date)
    later = (
        select(func.max(model.local_date))
        .where(model.couple_id == bindparam("couple_id"), model.local_date > day)
        # Its own scan of the table, never correlated to the outer query's rows of it.
        .correlate(None)
        .scalar_subquery()
    )
    return func.coalesce(later, day)


def lasting_params(couple: Couple, instant: datetime) -> dict[str, Any]:
    """The bound parameters of lasting_day for the couple at ``instant``."""
    return {"couple_id": couple.id, "day": couple_today(couple, instant)}


def couple_current_day(session: Session, couple: Couple, instant: datetime, *, model: Any) -> date:
    """The day lasting_day names, as a date (for a row about to be written)."""
    return session.scalars(select(lasting_day(model)), lasting_params(couple, instant)).one()


def couple_time(couple: Couple, instant: datetime) -> time:
    """The couple's wall-clock time at ``instant``."""
    return instant.astimezone(ZoneInfo(couple.timezone)).time()


def day_start(couple: Couple, day: date) -> datetime:
    """The UTC instant the couple's ``day`` begins (repeated hour: the first; gap: the jump)."""
    return calendar.day_start(day, tz=couple.timezone, starts_at=couple.day_starts_at)


def seconds_until_next_day(couple: Couple, instant: datetime) -> int:
    """Whole seconds from ``instant`` until the couple's next day begins (at least 1)."""
    nxt = day_start(couple, couple_today(couple, instant) + timedelta(days=1))
    return max(1, int((nxt - instant).total_seconds() + 0.999))
