"""One calendar per ritual: which ritual day an instant is in, when each day begins and fires.

Every "which local day is this instant in" question of rituals, reminders, check-ins and
streaks is answered here, on aware instants; nothing else does wall-clock arithmetic.

- A *calendar* is a time zone and a day start (the couple's ``day_starts_at``): local day
  ``d`` begins at the wall time ``day_starts_at`` on date ``d``, resolved like every wall time
  of Hearth (:func:`api.rituals.schedule.resolve_local`): a repeated wall time is its first
  instant, a wall time in a DST gap is the jump. Day ``d`` lasts until day ``d + 1`` begins.
- A ritual's *schedule* is that calendar plus its scheduled weekdays and wall-clock time. The
  occurrence of day ``d`` is that wall time on date ``d`` (first instant if repeated, the jump
  if skipped); a check-in in the hour after its reminder counts for ``d``.
- A ritual's *timeline* is its schedule history: each edit (days, time, zone, the couple's zone
  for a follower, the couple's day start) applies from the ritual day current at the edit (or
  the day after the last day already checked in, if later), so days already passed, and days
  already completed, keep the schedule and the bounds they had.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from api.rituals.schedule import resolve_local, weekday_set, zone

# The first effective day of a ritual's first schedule: it has been in force "since always".
EPOCH = date(1970, 1, 1)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)


@lru_cache(maxsize=65536)
def wall_instant(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of wall time ``at`` on local ``day`` in zone ``tz`` (resolve_local).

    Remembered: every read asks again for the same few days' starts and occurrences, and each
    one costs zone conversions (a bisection in a DST gap).
    """
    return resolve_local(day, at, zone(tz))


def day_start(day: date, *, tz: str, starts_at: time) -> datetime:
    """The UTC instant local ``day`` begins in zone ``tz`` (first of a repeated time; gap: jump)."""
    return wall_instant(day, starts_at, tz)


# Weekday sets by schedule days (a tuple): built once, not at each day a read asks about.
_weekdays = lru_cache(maxsize=1024)(weekday_set)


def local_day(instant: datetime, *, tz: str, starts_at: time) -> date:
    """The local day (zone ``tz``, days beginning at ``starts_at``) that ``instant`` is in."""
    instant = _aware(instant)
    guess = instant.astimezone(zone(tz)).date()
    # A day begins on its own date, so the instant is in its local date's day or an earlier one.
    for back in range(3):
        day = guess - timedelta(days=back)
        if day_start(day, tz=tz, starts_at=starts_at) <= instant:
            return day
    return guess - timedelta(days=3)  # a whole skipped date (Pacific/Apia, 2011) and more


@dataclass(frozen=True)
class Schedule:
    """The schedule of a ritual over a span of its days: weekdays, wall time, zone, day start."""

    days: tuple[str, ...]
    at: time
    tz: str
    day_starts_at: time

    def scheduled(self, day: date) -> bool:
        """Whether local ``day`` is one of the schedule's weekdays."""
        return day.weekday() in _weekdays(self.days)

    def local_time(self, instant: datetime) -> time:
        """The wall-clock time at ``instant`` in the schedule's zone."""
        return _aware(instant).astimezone(zone(self.tz)).time()

    def start(self, day: date) -> datetime:
        """When ``day`` begins under this schedule's calendar."""
        return day_start(day, tz=self.tz, starts_at=self.day_starts_at)

    def day_of(self, instant: datetime) -> date:
        """The day ``instant`` is in under this schedule's calendar."""
        return local_day(instant, tz=self.tz, starts_at=self.day_starts_at)

    def occurrence(self, day: date) -> datetime:
        """The instant date ``day`` shows the wall time ``at`` (first if twice; gap: the jump)."""
        # On the scheduled date itself, as the apps show it: a "Monday 01:30" ritual fires in
        # the small hours of Monday, which the day boundary puts in Sunday's ritual day. It is
        # still Monday's occurrence: its reminder is keyed by Monday and a check-in in the hour
        # after it counts for Monday (check_in_day_at).
        return wall_instant(day, self.at, self.tz)


@dataclass(frozen=True)
class Timeline:
    """A ritual's schedules, each in force from its ``effective_from`` day until the next one."""

    entries: tuple[tuple[date, Schedule], ...]

    @classmethod
    def of(cls, entries: Iterable[tuple[date, Schedule]]) -> Timeline:
        """A timeline from (effective_from, schedule) pairs in any order (at least one)."""
        ordered = tuple(sorted(entries, key=lambda e: e[0]))
        if not ordered:
            raise ValueError("a timeline needs at least one schedule")
        return cls(ordered)

    @property
    def latest(self) -> Schedule:
        """The schedule in force from the last edit on."""
        return self.entries[-1][1]

    @property
    def latest_from(self) -> date:
        """The first day of the latest schedule."""
        return self.entries[-1][0]

    def schedule_on(self, day: date) -> Schedule:
        """The schedule that was (or is) in force on ``day``."""
        if len(self.entries) == 1:  # most rituals: never edited since the reads' window
            return self.entries[0][1]
        index = bisect_right([e[0] for e in self.entries], day) - 1
        # Days before the first recorded schedule are judged by it (it was in force "always").
        return self.entries[max(index, 0)][1]

    def start(self, day: date) -> datetime:
        """When ritual day ``day`` begins."""
        return self.schedule_on(day).start(day)

    def day_of(self, instant: datetime) -> date:
        """The ritual day ``instant`` is in: the one function every ritual use calls."""
        later_from: date | None = None
        for effective_from, schedule in reversed(self.entries):
            day = schedule.day_of(instant)
            if later_from is not None and day >= later_from:
                # Before the later schedule's first day began: still the last day of this one
                # (a move west on a day makes the day before it last longer, never repeat).
                day = later_from - timedelta(days=1)
            if day >= effective_from or effective_from == self.entries[0][0]:
                return day
            later_from = effective_from
        raise AssertionError("unreachable: the first entry always answers")

    def seconds_until_next_day(self, instant: datetime) -> int:
        """Whole seconds from ``instant`` until the ritual's next day begins (at least 1)."""
        following = self.start(self.day_of(instant) + timedelta(days=1))
        return max(1, int((following - _aware(instant)).total_seconds() + 0.999))

    def is_scheduled(self, day: date) -> bool:
        """Whether ``day`` was a scheduled day of the ritual under the schedule in force on it."""
        return self.schedule_on(day).scheduled(day)

    def occurrence(self, day: date) -> datetime:
        """The occurrence instant of ritual day ``day`` under its schedule."""
        return self.schedule_on(day).occurrence(day)


# A later date's occurrence can come before an earlier date's, after a move east (Berlin
# 23:30 on the 27th, then Auckland 00:15 on the 28th: 11 hours sooner), but by less than
# 50 hours (wall times within a day, UTC offsets within 26 hours): two dates at most.
_OVERTAKE = timedelta(days=2)


def next_reminder(
    timeline: Timeline, *, after: datetime, lead: timedelta, not_before: date
) -> tuple[date, datetime]:
    """The next reminder: (its ritual day, its instant), the earliest occurrence - ``lead``
    after ``after`` among the scheduled days >= ``not_before``.

    Each day under the schedule in force on it: an edit made on a day already checked in
    applies from the next day, so today may still fire on the schedule it had. The earliest
    instant wins, not the earliest date: when a later date occurs first (a move east), the
    date it overtook is not reminded, as its caller moves ``not_before`` past the day sent.
    Raises ValueError when no day within two weeks is scheduled (an empty weekday set).
    """
    after = _aware(after)
    first = max(not_before, timeline.day_of(after + lead) - timedelta(days=1))
    best: tuple[date, datetime] | None = None
    for offset in range(16):
        day = first + timedelta(days=offset)
        if best is not None and day > best[0] + _OVERTAKE:
            break
        schedule = timeline.schedule_on(day)
        if schedule.scheduled(day):
            fire = schedule.occurrence(day) - lead
            if fire > after and (best is None or fire < best[1]):
                best = (day, fire)
    if best is None:
        raise ValueError("no reminder within two weeks")  # only for an empty weekday set
    return best


def check_in_day_at(
    timeline: Timeline,
    instant: datetime,
    *,
    lead: timedelta,
    window: timedelta,
    skipped: frozenset[date] = frozenset(),
) -> date | None:
    """The day a check-in at ``instant`` counts for when it names none, if a moment decides it:
    the latest scheduled day whose occurrence was in the ``window`` before ``instant``, else the
    latest whose reminder (``lead`` before it) went off in that window; None: the current day.

    The occurrence first: with a reminder a day ahead, the hour after Monday's occurrence is
    also the hour after Tuesday's reminder, and the check-in is Monday's (API.md). Days in
    ``skipped`` (a move east jumped over them) are not candidates.
    """
    instant = _aware(instant)
    today = timeline.day_of(instant)
    days = [
        today + timedelta(days=offset)
        for offset in (2, 1, 0, -1)
        if timeline.is_scheduled(today + timedelta(days=offset))
        and today + timedelta(days=offset) not in skipped
    ]
    for before in (timedelta(0), lead):
        for day in days:
            moment = timeline.occurrence(day) - before
            if moment <= instant < moment + window:
                return day
    return None


def timeline_from_rows(rows: Sequence[tuple[date, Schedule]], fallback: Schedule) -> Timeline:
    """A timeline from stored rows; ``fallback`` (the ritual as it is now) when none are stored."""
    return Timeline.of(rows) if rows else Timeline.of([(EPOCH, fallback)])
