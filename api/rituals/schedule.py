"""Schedule math for rituals: when is the next occurrence of (days, local time, zone)?

Pure functions over zoneinfo. An occurrence is the wall-clock time ``at`` on a
scheduled local day in the ritual's zone, stored and compared as a UTC instant:

- across a DST change the wall-clock time stays put (07:30 stays 07:30 local);
- a local time that does not exist that day (the spring-forward gap) fires at the
  first valid instant after it, i.e. the moment the clocks jump;
- an ambiguous local time (the fall-back overlap) fires once, at the first of
  its two instants (``fold=0``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from api.fields import is_timezone

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_INDEX = {name: i for i, name in enumerate(WEEKDAYS)}

# How many local days to look around the instant. One week plus margin covers any
# weekly schedule, including an occurrence pushed past midnight by a gap.
_LOOKBACK_DAYS = 1
_LOOKAHEAD_DAYS = 8


class InvalidSchedule(ValueError):
    """The schedule cannot produce occurrences (unknown zone, bad day, no days)."""


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: the scheduled local day and the UTC instant it fires."""

    local_date: date
    at: datetime

    def key(self, ritual_id: int) -> str:
        """The dedupe key of this occurrence for a ritual: ritual id + local date."""
        return f"{ritual_id}:{self.local_date.isoformat()}"


@lru_cache(maxsize=1024)
def zone(tz: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; InvalidSchedule when it is not one (api.fields decides)."""
    if not is_timezone(tz):
        raise InvalidSchedule(f"unknown time zone: {tz!r}")
    return ZoneInfo(tz)


def weekday_set(days: Iterable[str]) -> frozenset[int]:
    """Weekday numbers (Monday = 0) for day names "mon".."sun"; InvalidSchedule if bad/empty."""
    if isinstance(days, str):
        raise InvalidSchedule("days must be a list of day names, not a string")
    try:
        numbers = frozenset(_WEEKDAY_INDEX[d] for d in days)
    except (KeyError, TypeError) as exc:
        raise InvalidSchedule(f"unknown day name in {list(days)!r}") from exc
    if not numbers:
        raise InvalidSchedule("a schedule needs at least one day")
    return numbers


def resolve_local(day: date, at: time, tz: str | ZoneInfo) -> datetime:
    """The UTC instant at which wall-clock ``at`` on local ``day`` happens (gap/fold rules)."""
    zi = tz if isinstance(tz, ZoneInfo) else zone(tz)
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    # fold=0 is the earlier of two instants when the wall time is ambiguous.
    first = naive.replace(tzinfo=zi).astimezone(UTC)
    if first.astimezone(zi).replace(tzinfo=None) == naive:
        return first
    return _end_of_gap(naive, zi)


def _end_of_gap(naive: datetime, zi: ZoneInfo) -> datetime:
    """The instant the clocks jump over a non-existent wall time ``naive``."""
    # With fold=1 a gap time maps through the offset after the jump (an instant before
    # the transition); with fold=0 through the offset before it (an instant after).
    lo = naive.replace(tzinfo=zi, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=zi, fold=0).astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    # zoneinfo does not expose its transitions, so find the jump by bisection: the
    # smallest instant in (lo, hi] whose wall time is past ``naive``. Transitions fall
    # on whole seconds; tz-aware arithmetic on UTC instants is exact.
    low_s, high_s = 0, int((hi - lo).total_seconds())
    while high_s - low_s > 1:
        mid = (low_s + high_s) // 2
        if (lo + timedelta(seconds=mid)).astimezone(zi).replace(tzinfo=None) > naive:
            high_s = mid
        else:
            low_s = mid
    return lo + timedelta(seconds=high_s)


def _check_instant(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)


def next_occurrence_info(after: datetime, *, days: Iterable[str], at: time, tz: str) -> Occurrence:
    """The first occurrence strictly after the aware instant ``after``."""
    after = _check_instant(after)
    weekdays = weekday_set(days)
    zi = zone(tz)
    start = after.astimezone(zi).date() - timedelta(days=_LOOKBACK_DAYS)
    for offset in range(_LOOKBACK_DAYS + _LOOKAHEAD_DAYS + 1):
        day = start + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        instant = resolve_local(day, at, zi)
        if instant > after:
            return Occurrence(local_date=day, at=instant)
    # Unreachable for a non-empty weekday set: a week always contains each weekday.
    raise InvalidSchedule("no occurrence found within a week")


def next_occurrence(after: datetime, *, days: Iterable[str], at: time, tz: str) -> datetime:
    """The UTC instant of the first occurrence strictly after ``after``."""
    return next_occurrence_info(after, days=days, at=at, tz=tz).at


def occurrence_local_date(occurrence: datetime, *, days: Iterable[str], at: time, tz: str) -> date:
    """The scheduled local day an occurrence instant belongs to (for dedupe keys).

    Usually the local date of the instant; after a gap that crosses midnight it is the
    day before. ValueError when the instant is not an occurrence of this schedule.
    """
    occurrence = _check_instant(occurrence)
    weekdays = weekday_set(days)
    zi = zone(tz)
    local_day = occurrence.astimezone(zi).date()
    # Earliest first, matching next_occurrence_info when two days resolve to one instant.
    for back in (2, 1, 0):
        day = local_day - timedelta(days=back)
        if day.weekday() in weekdays and resolve_local(day, at, zi) == occurrence:
            return day
    raise ValueError(f"{occurrence.isoformat()} is not an occurrence of this schedule")
