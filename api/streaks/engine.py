"""The streak engine: pure rules over the couple's local days (no database, no Flask).

Vocabulary, precisely:

- A *day* is one local day of the couple: it begins at ``day_starts_at`` in the couple's time
  zone, so a kiss at 01:30 belongs to the evening before. The engine only ever sees dates.
- A day *counts* when it is a scheduled day of the ritual and the ritual is not paused on it.
  A day that does not count is *neutral*: it neither extends nor breaks a streak. Neutral days
  may simply be left out of the input.
- A counting day is *complete* when the ritual's completion rule holds (`either`: one partner
  checked in; `both`: each partner did), see :func:`is_complete`.
- A counting day that has fully passed incomplete is *missed*. A missed day consumes a banked
  freeze if there is one (the day is then *frozen*); otherwise the streak *breaks*: ``current``
  falls to 0 and the run ends.
- ``current`` is the number of completed days of the current *run*. A run begins with its first
  completed day (``run_started_on``) and ends when the streak breaks.
- "Consecutive" treats a frozen day exactly like a neutral day: it is skipped over, it neither
  adds to ``current`` nor resets anything. So "a freeze is earned at every 7 consecutive
  completed days" means: each time ``current`` reaches a multiple of 7 (7, 14, 21, ...), one
  freeze is banked, unless 2 are already banked (that earning is then lost, not deferred).
- A milestone (3, 7, 14, 30, 50, 100, 200, 365) is reached when ``current`` becomes that number;
  as ``current`` only grows by one within a run, each milestone happens at most once per run, and
  the run is identified by ``run_started_on``.

Time and finalization: today's completion can still change (today incomplete never breaks the
streak) and so can yesterday's (a late check-in for yesterday is allowed). The persisted
:class:`StreakState` is therefore only *finalized* through the day before yesterday; the days
after ``finalized_through`` are *pending* and are folded on every read by :func:`view` without
being persisted, so a late check-in never rewrites history. A pending yesterday that is still
incomplete is shown as missed (it has fully passed), and is repaired by a late check-in.
Today, and a later day already holding a check-in (a reminder before the day start takes
check-ins for tomorrow's occurrence while today runs), are *open*; an open counting day not yet
complete holds back the completed days after it while there is a run it could break
(:func:`provisional`), so ``longest`` never counts a day that a miss would take back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Literal

MILESTONES: tuple[int, ...] = (3, 7, 14, 30, 50, 100, 200, 365)
FREEZE_EVERY = 7
MAX_FREEZES = 2
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CompletionRule = Literal["either", "both"]
EventKind = Literal["milestone", "freeze_earned", "freeze_consumed", "streak_broken"]


@dataclass(frozen=True, slots=True)
class Day:
    """One local day of a ritual, as the engine sees it."""

    date: date
    scheduled: bool
    paused: bool
    complete: bool

    @property
    def counts(self) -> bool:
        """Whether this day can extend or break a streak."""
        return self.scheduled and not self.paused


@dataclass(frozen=True, slots=True)
class StreakState:
    """The finalized streak of one ritual, through ``finalized_through`` (inclusive)."""

    current: int
    longest: int
    freezes_available: int
    last_completed_date: date | None
    run_started_on: date | None
    finalized_through: date

    @classmethod
    def start(cls, finalized_through: date) -> StreakState:
        """An empty streak whose history is finalized (and empty) through the given day."""
        return cls(0, 0, 0, None, None, finalized_through)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened while folding a day: ``value`` is the milestone or the length."""

    kind: EventKind
    day: date
    value: int
    run_started_on: date | None


def is_complete(
    rule: CompletionRule, checked_in: Collection[int], partner_ids: Sequence[int]
) -> bool:
    """Whether a day is complete under ``rule`` given the ids of the users who checked in."""
    present = [uid for uid in partner_ids if uid in checked_in]
    if rule == "either":
        return bool(present)
    if rule == "both":
        return len(present) == len(partner_ids) and len(partner_ids) > 0
    raise ValueError(f"unknown completion rule {rule!r}")


def weekday_set(days: Iterable[str]) -> frozenset[int]:
    """Turn ``["mon", ...]`` into the set of ``date.weekday()`` numbers."""
    return frozenset(WEEKDAYS.index(d) for d in days)


def _fold_day(state: StreakState, day: Day, events: list[Event]) -> StreakState:
    """Apply one counting day to ``state`` (``finalized_through`` is set by the caller)."""
    if day.complete:
        current = state.current + 1
        run_started_on = state.run_started_on if state.current else day.date
        freezes = state.freezes_available
        if current % FREEZE_EVERY == 0 and freezes < MAX_FREEZES:
            freezes += 1
            events.append(Event("freeze_earned", day.date, freezes, run_started_on))
        if current in MILESTONES:
            events.append(Event("milestone", day.date, current, run_started_on))
        return replace(
            state,
            current=current,
            longest=max(state.longest, current),
            freezes_available=freezes,
            last_completed_date=day.date,
            run_started_on=run_started_on,
        )
    if state.freezes_available:
        events.append(
            Event("freeze_consumed", day.date, state.freezes_available - 1, state.run_started_on)
        )
        return replace(state, freezes_available=state.freezes_available - 1)
    if state.current:
        events.append(Event("streak_broken", day.date, state.current, state.run_started_on))
    return replace(state, current=0, run_started_on=None)


def advance(
    state: StreakState, days: Iterable[Day], *, through: date | None = None
) -> tuple[StreakState, list[Event]]:
    """Fold finalized days (strictly increasing, all after ``finalized_through``) into ``state``.

    Days missing from ``days`` are neutral; ``through`` (if given) moves ``finalized_through``
    past trailing neutral days.
    """
    events: list[Event] = []
    last = state.finalized_through
    for day in days:
        if day.date <= last:
            raise ValueError(f"{day.date} is not after {last}: days must be new and in order")
        if day.counts:
            state = _fold_day(state, day, events)
        last = day.date
    if through is not None:
        if through < last:
            raise ValueError(f"through={through} is before the last folded day {last}")
        last = through
    return replace(state, finalized_through=last), events


def _pause_at(d: date, spans: Sequence[tuple[date, date | None]]) -> tuple[bool, bool]:
    """(inside a paused span, on an edge: the day a pause starts or ends) for day ``d``."""
    inside = any(p <= d and (r is None or d < r) for p, r in spans)
    edge = any(p == d or r == d for p, r in spans)
    return inside, edge


def paused_day(d: date, spans: Sequence[tuple[date, date | None]], *, complete: bool) -> bool:
    """Whether ``d`` is neutral because of pauses.

    Days inside a pause are neutral; the day a pause starts or ends counts if it was completed
    (pausing never takes a completed day away) and is neutral otherwise.
    """
    inside, edge = _pause_at(d, spans)
    if edge:
        return not complete
    return inside


def counting_days(
    start: date,
    end: date,
    *,
    weekdays: Collection[int] | None = None,
    scheduled: Callable[[date], bool] | None = None,
    pauses: Sequence[tuple[date, date | None]],
    completed: Collection[date],
) -> Iterator[Day]:
    """Yield the counting days in ``[start, end]``, jumping over paused spans.

    ``scheduled(d)`` says whether ``d`` is a scheduled day (under the schedule in force on it);
    ``weekdays`` is the shorthand for a schedule that never changed. ``pauses`` are
    ``(paused_from, resumed_on)`` spans covering ``paused_from <= d < resumed_on``
    (``resumed_on`` None = still paused); ``completed`` are the complete dates.
    """
    if scheduled is None:
        days = frozenset(weekdays or ())
        if not days:
            return

        def scheduled(d: date) -> bool:
            return d.weekday() in days

    spans = sorted(pauses, key=lambda p: p[0])
    d = start
    while d <= end:
        complete = d in completed
        if scheduled(d) and not paused_day(d, spans, complete=complete):
            yield Day(d, scheduled=True, paused=False, complete=complete)
        if any(p <= d and (r is None or d < r) for p, r in spans):
            # Inside a pause: nothing counts until the next edge (a pause's start or end).
            edges = [e for span in spans for e in span if e is not None and e > d]
            if not edges:
                return
            d = min(edges)
            continue
        d += timedelta(days=1)


def catch_up(
    state: StreakState,
    through: date,
    *,
    weekdays: Collection[int] | None = None,
    scheduled: Callable[[date], bool] | None = None,
    pauses: Sequence[tuple[date, date | None]],
    completed: Collection[date],
) -> tuple[StreakState, list[Event]]:
    """Advance ``state`` over every day up to ``through`` from the schedule, pauses and completions.

    The cost does not grow with the gap: once the streak is at 0 (which also means no freeze is
    banked) the remaining incomplete days cannot change anything and are skipped.
    """
    if through <= state.finalized_through:
        return state, []
    events: list[Event] = []
    start = state.finalized_through + timedelta(days=1)
    later_completions = sorted(c for c in completed if start <= c <= through)
    for day in counting_days(
        start, through, weekdays=weekdays, scheduled=scheduled, pauses=pauses, completed=completed
    ):
        if state.current == 0 and not state.freezes_available:
            nxt = next((c for c in later_completions if c >= day.date), None)
            if nxt is None:
                break
            if day.date < nxt:
                continue
        state, evs = advance(state, [day])
        events.extend(evs)
    return replace(state, finalized_through=through), events


def is_after(now_local: time, at: time, day_starts_at: time) -> bool:
    """Whether ``now_local`` is at or after ``at`` within a day that begins at ``day_starts_at``."""

    def since_start(t: time) -> int:
        return ((t.hour * 60 + t.minute) - (day_starts_at.hour * 60 + day_starts_at.minute)) % (
            24 * 60
        )

    return since_start(now_local) >= since_start(at)


def provisional(
    state: StreakState, *, pending: Sequence[Day], today: Day, later: Sequence[Day] = ()
) -> tuple[StreakState, list[Event]]:
    """Fold the pending days, then today and later days up to the first open one; persist nothing.

    ``later`` are the days after today up to the last one holding a check-in (a reminder before
    the day start takes check-ins for tomorrow's occurrence while today runs). Today and later
    days are *open*: an incomplete counting one has no verdict yet. A completed day after an open
    one that could break the run waits for that verdict instead of being counted across it:
    counted across, it would lengthen the run (and ``longest``) by a day that the open day's
    miss then takes back. With no run (``current`` 0, hence no freeze) the open day has nothing
    to take back, and what follows it counts at once.
    """
    if any(d.date >= today.date for d in pending):
        raise ValueError("pending days must be before today")
    state, events = advance(state, [d for d in pending if d.date > state.finalized_through])
    ahead = [today, *sorted((d for d in later if d.date > today.date), key=lambda d: d.date)]
    for day in ahead:
        if day.date <= state.finalized_through or not day.counts:
            continue  # already folded, or neutral: neither extends nor waits
        if not day.complete:
            if state.current:
                break  # open, with a run to break: what comes after it waits for its verdict
            continue
        state, folded = advance(state, [day])
        events.extend(folded)
    return state, events


def view(
    state: StreakState,
    *,
    today: date,
    today_complete: bool,
    today_scheduled: bool,
    now_local_time: time,
    today_paused: bool = False,
    pending: Sequence[Day] = (),
    later: Sequence[Day] = (),
    day_starts_at: time = time(4, 0),
    at_risk_after: time = time(20, 0),
) -> dict[str, object]:
    """The streak as the API shows it at a moment of ``today``; ``state`` is not changed.

    ``pending`` are the days after ``finalized_through`` and before today (yesterday, usually).
    """
    today_day = Day(today, today_scheduled, today_paused, today_complete)
    shown, _ = provisional(state, pending=pending, today=today_day, later=later)
    at_risk = (
        today_day.counts
        and not today_complete
        and shown.current > 0
        and is_after(now_local_time, at_risk_after, day_starts_at)
    )
    return {
        "current": shown.current,
        "longest": shown.longest,
        "completed_today": today_complete,
        "at_risk": at_risk,
        "freezes_available": shown.freezes_available,
        "last_completed_date": shown.last_completed_date,
    }


def compute(all_days: Sequence[Day]) -> StreakState:
    """From-scratch streak over a whole history (every day treated as passed); the test oracle."""
    last = StreakState.start(all_days[-1].date if all_days else date.min)
    for last in compute_each(all_days):  # noqa: B007 - only the final state is wanted
        pass
    return last


def compute_each(all_days: Sequence[Day]) -> Iterator[StreakState]:
    """The from-scratch state after each day of ``all_days``, written independently of advance."""
    current = longest = freezes = 0
    last_completed: date | None = None
    run_start: date | None = None
    for day in all_days:
        if day.scheduled and not day.paused:
            if day.complete:
                if current == 0:
                    run_start = day.date
                current += 1
                last_completed = day.date
                longest = max(longest, current)
                if current % FREEZE_EVERY == 0:
                    freezes = min(MAX_FREEZES, freezes + 1)
            elif freezes > 0:
                freezes -= 1
            else:
                current, run_start = 0, None
        yield StreakState(current, longest, freezes, last_completed, run_start, day.date)
