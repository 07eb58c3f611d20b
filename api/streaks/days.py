"""The couple's local day: it begins at day_starts_at in the couple's time zone.

Thin wrappers over the one calendar function (api.rituals.calendar): a day start in a
repeated hour is its first instant, one in a DST gap is the jump, and once a day has begun
it stays begun. Other domains (questions, moods, memories, recaps) call these for the
couple's day; a ritual's own day comes from its timeline (api.rituals.calendar.Timeline).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.pairing.models import Couple
from api.rituals import calendar


def couple_today(couple: Couple, instant: datetime) -> date:
    """The couple's day at ``instant``: a kiss at 01:30 belongs to the evening before."""
    return calendar.local_day(instant, tz=couple.timezone, starts_at=couple.day_starts_at)


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
