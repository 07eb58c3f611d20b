"""Quiet hours: a local wall-clock window, possibly across midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_until(instant: datetime, *, start: time, end: time, tz: str) -> datetime | None:
    """The UTC instant the quiet window around `instant` ends, or None when it is not quiet."""
    zone = ZoneInfo(tz)
    local = instant.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:  # crosses midnight, e.g. 22:00-07:00
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    # Wall-clock end on that day; a non-existent local time is pushed past the gap by fold=0
    # round-tripping through UTC.
    local_end = datetime.combine(end_day, end, tzinfo=zone)
    return local_end.astimezone(UTC)
