"""The couple's local day: it begins at day_starts_at in the couple's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.pairing.models import Couple


def _local(couple: Couple, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(couple.timezone))


def couple_today(couple: Couple, instant: datetime) -> date:
    """The couple's day at ``instant``: a kiss at 01:30 belongs to the evening before."""
    # Wall-clock arithmetic on the naive local time, so a DST night does not move the boundary.
    wall = _local(couple, instant).replace(tzinfo=None)
    start = couple.day_starts_at
    return (wall - timedelta(hours=start.hour, minutes=start.minute)).date()


def couple_time(couple: Couple, instant: datetime) -> time:
    """The couple's wall-clock time at ``instant``."""
    return _local(couple, instant).time()


def day_start(couple: Couple, day: date) -> datetime:
    """The UTC instant the couple's ``day`` begins.

    A day_starts_at inside a spring-forward gap is read with the offset before the change
    (PEP 495, fold=0), i.e. as late as the skipped length; only a retry hint depends on it.
    """
    wall = datetime.combine(day, couple.day_starts_at, tzinfo=ZoneInfo(couple.timezone))
    return wall.astimezone(UTC)


def seconds_until_next_day(couple: Couple, instant: datetime) -> int:
    """Whole seconds from ``instant`` until the couple's next day begins (at least 1)."""
    nxt = day_start(couple, couple_today(couple, instant) + timedelta(days=1))
    return max(1, int((nxt - instant).total_seconds() + 0.999))
