"""Property tests: the incremental streak state always equals a from-scratch recomputation."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.streaks.engine import (
    MILESTONES,
    Day,
    StreakState,
    advance,
    catch_up,
    compute,
    compute_each,
    is_complete,
    provisional,
    view,
)

# CI runs derandomized (the same 500 examples every time, HYPOTHESIS_PROFILE=ci or CI=true);
# locally each run explores 500 fresh ones.
_CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci" or os.environ.get("CI") == "true"
PROPERTY = settings(
    max_examples=int(os.environ.get("STREAKS_MAX_EXAMPLES", "500")),
    derandomize=_CI,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

A, B = 1, 2
PARTNERS = (A, B)
EPOCH = date(2026, 1, 5)  # a Monday


@dataclass
class Scenario:
    """A random history: a schedule, pauses, a rule, and a timeline of ticks with actions."""

    rule: str
    weekdays: frozenset[int]
    pauses: list[tuple[date, date | None]]
    ticks: list[tuple[int, list[tuple]]]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Draw schedules, completion rules, pauses and a timeline including time-zone hops."""
    rule = draw(st.sampled_from(["either", "both"]))
    weekdays = frozenset(
        draw(
            st.one_of(
                st.just(set(range(7))),
                st.just({0, 1, 2, 3, 4}),
                st.sets(st.integers(0, 6), max_size=7),
            )
        )
    )
    pauses: list[tuple[date, date | None]] = []
    for offset, length in draw(
        st.lists(st.tuples(st.integers(0, 90), st.integers(0, 12)), max_size=3)
    ):
        start = EPOCH + timedelta(days=offset)
        pauses.append((start, None if length == 0 else start + timedelta(days=length)))
    action = st.one_of(
        st.tuples(st.just("checkin"), st.sampled_from(PARTNERS), st.sampled_from([0, 1])),
        st.tuples(
            st.just("read"),
            st.sampled_from([time(8, 0), time(19, 59), time(20, 0), time(23, 0), time(1, 30)]),
        ),
        st.tuples(st.just("finalize")),
    )
    # Mostly one day per tick; 0 and 2 model a flight west or east, -1 a flight that makes the
    # couple's local date go back by one (never more than one below the latest date seen).
    step = st.sampled_from([1, 1, 1, 1, 1, 1, 2, 0, -1])
    # A diligent couple checks in on time on most days, so long runs, several freezes and the
    # higher milestones are reached; the random actions then add the irregular cases on top.
    diligence = draw(st.sampled_from([0, 50, 85, 95, 100]))
    ticks = []
    for step_, actions, roll, repeat in draw(
        st.lists(
            st.tuples(step, st.lists(action, max_size=6), st.integers(0, 99), st.integers(1, 30)),
            min_size=1,
            max_size=30,
        )
    ):
        if roll < diligence:
            actions = [("checkin", A, 0), ("checkin", B, 0), *actions]
        # a tick may repeat for several days, so that histories of a few hundred days occur
        ticks.extend([(step_, actions)] * repeat)
    return Scenario(rule, weekdays, pauses, ticks)


@dataclass
class Service:
    """The incremental protocol the service uses, in memory: finalize through today-2 only."""

    sc: Scenario
    state: StreakState
    checkins: dict[date, set[int]] = field(default_factory=dict)
    milestones_sent: set[tuple[date | None, int]] = field(default_factory=set)
    complete_dates: set[date] = field(default_factory=set)
    _days: dict[date, Day] = field(default_factory=dict)  # the oracle re-reads every day often

    def day(self, d: date) -> Day:
        """What is known about day ``d`` now."""
        if d not in self._days:
            self._days[d] = Day(
                d,
                scheduled=d.weekday() in self.sc.weekdays,
                paused=self._paused(d),
                complete=d in self.complete_dates,
            )
        return self._days[d]

    def _paused(self, d: date) -> bool:
        # Inside a pause: neutral. The day a pause starts or ends: counts only if completed.
        if any(d in (p, r) for p, r in self.sc.pauses):
            return d not in self.complete_dates
        return any(p <= d and (r is None or d < r) for p, r in self.sc.pauses)

    def completed(self) -> set[date]:
        return self.complete_dates

    def finalize(self, today: date) -> None:
        self.state, events = catch_up(
            self.state,
            today - timedelta(days=2),
            weekdays=self.sc.weekdays,
            pauses=self.sc.pauses,
            completed=self.completed(),
        )
        self._record(events)

    def pending(self, today: date) -> list[Day]:
        d = self.state.finalized_through + timedelta(days=1)
        out = []
        while d < today:
            out.append(self.day(d))
            d += timedelta(days=1)
        return out

    def checkin(self, today: date, user: int, days_back: int) -> bool:
        d = today - timedelta(days=days_back)
        if d.weekday() not in self.sc.weekdays or d <= self.state.finalized_through:
            return False  # the API answers 422: not scheduled, or no longer changeable
        self.checkins.setdefault(d, set()).add(user)
        if is_complete(self.sc.rule, self.checkins[d], PARTNERS):  # type: ignore[arg-type]
            self.complete_dates.add(d)
        self._days.pop(d, None)
        self.finalize(today)
        _, events = provisional(self.state, pending=self.pending(today), today=self.day(today))
        self._record(events)
        return True

    def read(self, today: date, now: time) -> dict[str, object]:
        t = self.day(today)
        return view(
            self.state,
            today=today,
            today_complete=t.complete,
            today_scheduled=t.scheduled,
            today_paused=t.paused,
            now_local_time=now,
            pending=self.pending(today),
        )

    def _record(self, events: list) -> None:
        for e in events:
            if e.kind == "milestone":
                self.milestones_sent.add((e.run_started_on, e.value))


def oracle_days(svc: Service, first: date, last: date) -> list[Day]:
    """Every day in ``[first, last]`` with what is known now."""
    return [svc.day(first + timedelta(days=i)) for i in range((last - first).days + 1)]


@PROPERTY
@given(scenarios())
def test_incremental_equals_from_scratch(sc: Scenario) -> None:
    """Reads at random moments, chunked finalization and late check-ins agree with compute()."""
    today = highest = EPOCH
    # the first check-in may be for yesterday: the history starts there
    first = EPOCH - timedelta(days=1)
    svc = Service(sc, StreakState.start(first - timedelta(days=1)))
    for step, actions in sc.ticks:
        today = max(today + timedelta(days=step), highest - timedelta(days=1))
        highest = max(highest, today)
        for act in actions:
            if act[0] == "checkin":
                svc.checkin(today, act[1], act[2])
            elif act[0] == "finalize":
                svc.finalize(today)
            else:
                got = svc.read(today, act[1])
                t = svc.day(today)
                if t.complete and not t.counts:
                    event("read: today complete but not counting (paused)")
                known = oracle_days(svc, first, today - timedelta(days=1))
                expected = compute([*known, t] if t.complete else known)
                assert got["current"] == expected.current
                assert got["longest"] == expected.longest
                assert got["freezes_available"] == expected.freezes_available
                assert got["last_completed_date"] == expected.last_completed_date
                assert got["completed_today"] == t.complete
                late = act[1] >= time(20, 0) or act[1] < time(4, 0)
                assert got["at_risk"] == (
                    t.counts and not t.complete and expected.current > 0 and late
                )
        # the persisted state never runs ahead of what may still change
        assert svc.state.finalized_through <= highest - timedelta(days=2)

    # Everything has passed: the persisted state equals the from-scratch one, exactly.
    end = highest + timedelta(days=2)
    svc.finalize(end)
    full = oracle_days(svc, first, highest)
    _assert_same(svc.state, compute(full), finalized_through=highest)

    # Milestones: exactly the from-scratch set, each once per run.
    expected_milestones = set()
    prev = 0
    prefix_states = list(compute_each(full))
    for s in prefix_states:
        if s.current != prev and s.current in MILESTONES:
            expected_milestones.add((s.run_started_on, s.current))
        prev = s.current
    assert svc.milestones_sent == expected_milestones
    event(f"longest>={max(m for m in (0, *MILESTONES) if m <= svc.state.longest)}")
    event(f"max freezes banked: {max(s_.freezes_available for s_ in prefix_states)}")


def _assert_same(state: StreakState, expected: StreakState, *, finalized_through: date) -> None:
    """Compare every field of the persisted state with the from-scratch one."""
    assert state.current == expected.current
    assert state.longest == expected.longest
    assert state.freezes_available == expected.freezes_available
    assert state.last_completed_date == expected.last_completed_date
    assert state.run_started_on == expected.run_started_on
    event(f"longest>={max(m for m in (0, *MILESTONES) if m <= expected.longest)}")
    assert state.finalized_through == finalized_through


# (scheduled, paused, complete) segments of 1-120 equal days: long runs happen often
SEGMENTS = st.lists(
    st.tuples(st.booleans(), st.booleans(), st.booleans(), st.integers(1, 120)), max_size=12
)


@PROPERTY
@given(SEGMENTS, st.lists(st.integers(0, 1500), max_size=12))
def test_advance_in_any_chunks_equals_compute(
    segments: list[tuple[bool, bool, bool, int]], cuts: list[int]
) -> None:
    """Folding a history in arbitrary chunks gives the same state as folding it at once."""
    flags = [(s, p, c) for s, p, c, n in segments for _ in range(n)]
    days = [
        Day(EPOCH + timedelta(days=i), scheduled=s, paused=p, complete=c)
        for i, (s, p, c) in enumerate(flags)
    ]
    state = StreakState.start(EPOCH - timedelta(days=1))
    bounds = sorted({0, len(days), *(c for c in cuts if c <= len(days))})
    for lo, hi in itertools.pairwise(bounds):
        state, _ = advance(state, days[lo:hi])
    expected = compute(days)
    assert (state.current, state.longest, state.freezes_available) == (
        expected.current,
        expected.longest,
        expected.freezes_available,
    )
    assert state.last_completed_date == expected.last_completed_date
    assert state.run_started_on == expected.run_started_on
    event(f"longest>={max(m for m in (0, *MILESTONES) if m <= expected.longest)}")
