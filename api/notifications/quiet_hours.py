"""Quiet hours: a local wall-clock window, possibly across midnight."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.rituals.schedule import resolve_local


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
    # The same rule as every wall time of Hearth: an end inside a DST gap is the jump (the first
    # valid instant after it), a repeated end is its first instant.
    return resolve_local(end_day, end, zone)
