"""Example-based tests of the streak rules, one rule per test."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from api.streaks.engine import (
    Day,
    StreakState,
    advance,
    catch_up,
    compute,
    is_complete,
    view,
    weekday_set,
)

MON = date(2026, 3, 2)


def days(pattern: str, start: date = MON) -> list[Day]:
    """``x`` complete, ``.`` missed, ``-`` not scheduled, ``p`` paused, ``P`` paused+checked in."""
    out = []
    for i, c in enumerate(pattern):
        out.append(
            Day(
                start + timedelta(days=i),
                scheduled=c != "-",
                paused=c in "pP",
                complete=c in "xP",
            )
        )
    return out


def fold(pattern: str) -> tuple[StreakState, list]:
    return advance(StreakState.start(MON - timedelta(days=1)), days(pattern))


def test_completion_rules() -> None:
    assert is_complete("either", {1}, (1, 2))
    assert not is_complete("either", set(), (1, 2))
    assert not is_complete("both", {1}, (1, 2))
    assert is_complete("both", {1, 2}, (1, 2))
    assert not is_complete("both", {3}, (1, 2)), "a stranger's check-in never counts"
    with pytest.raises(ValueError):
        is_complete("most", {1}, (1, 2))  # type: ignore[arg-type]


def test_unscheduled_and_paused_days_count_neither_way() -> None:
    state, _ = fold("xx--xppPpx")
    assert state.current == 4
    assert state.run_started_on == MON


def test_missed_day_breaks_without_freeze() -> None:
    state, events = fold("xxx.x")
    assert (state.current, state.longest) == (1, 3)
    assert [e.kind for e in events].count("streak_broken") == 1
    assert state.run_started_on == MON + timedelta(days=4)


def test_freeze_earned_every_seven_and_capped_at_two() -> None:
    state, events = fold("x" * 21)
    assert state.freezes_available == 2
    assert [e.value for e in events if e.kind == "freeze_earned"] == [1, 2]


def test_freeze_consumed_and_frozen_day_is_skipped_over() -> None:
    # 7 completions earn a freeze; the miss consumes it; the run goes on and the frozen day adds
    # nothing; at 14 completions (a multiple of 7 again) the next freeze is earned.
    state, events = fold("x" * 7 + "." + "x" * 7)
    assert state.current == 14
    assert state.run_started_on == MON
    assert [e.kind for e in events if e.kind.startswith("freeze")] == [
        "freeze_earned",
        "freeze_consumed",
        "freeze_earned",
    ]


def test_milestones_once_per_run() -> None:
    _, events = fold("xxx.xxxxxxx")
    milestones = [(e.value, e.run_started_on) for e in events if e.kind == "milestone"]
    second = MON + timedelta(days=4)
    assert milestones == [(3, MON), (3, second), (7, second)]


def test_advance_rejects_history_rewrites() -> None:
    state, _ = fold("xx")
    with pytest.raises(ValueError):
        advance(state, days("x", start=MON + timedelta(days=1)))


def test_today_incomplete_does_not_break_but_is_at_risk_in_the_evening() -> None:
    state, _ = fold("xxxx")  # finalized through Thursday
    friday, saturday = MON + timedelta(days=4), MON + timedelta(days=5)
    pending = [Day(friday, True, False, True)]
    common = dict(today=saturday, today_complete=False, today_scheduled=True, pending=pending)
    morning = view(state, now_local_time=time(9, 0), **common)
    assert morning["current"] == 5
    assert morning["at_risk"] is False
    assert view(state, now_local_time=time(20, 0), **common)["at_risk"] is True
    # 01:30 is still the same couple-day (it begins at 04:00), late in the evening
    assert view(state, now_local_time=time(1, 30), **common)["at_risk"] is True
    done = view(state, now_local_time=time(21, 0), **{**common, "today_complete": True})
    assert (done["current"], done["completed_today"], done["at_risk"]) == (6, True, False)


def test_view_shows_a_missed_yesterday_until_a_late_check_in_repairs_it() -> None:
    state, _ = fold("xxxx")
    friday, saturday = MON + timedelta(days=4), MON + timedelta(days=5)
    kw = dict(today=saturday, today_complete=False, today_scheduled=True, now_local_time=time(9))
    assert view(state, pending=[Day(friday, True, False, False)], **kw)["current"] == 0
    assert view(state, pending=[Day(friday, True, False, True)], **kw)["current"] == 5
    assert state.current == 4, "view never changes the persisted state"


def test_catch_up_skips_long_gaps_and_pauses() -> None:
    state, _ = fold("x" * 14)  # two freezes banked
    ten_years = state.finalized_through + timedelta(days=3650)
    caught, events = catch_up(
        state, ten_years, weekdays=weekday_set(["mon"]), pauses=[], completed=set()
    )
    assert caught.current == 0 and caught.finalized_through == ten_years
    assert [e.kind for e in events] == ["freeze_consumed", "freeze_consumed", "streak_broken"]
    paused_from = state.finalized_through + timedelta(days=1)
    kept, _ = catch_up(
        state,
        ten_years,
        weekdays=weekday_set(["mon"]),
        pauses=[(paused_from, None)],
        completed=set(),
    )
    assert (kept.current, kept.freezes_available) == (14, 2)


def test_compute_matches_advance_on_an_example() -> None:
    history = days("xx-x.xxpxxxxxxx..x")
    state, _ = advance(StreakState.start(MON - timedelta(days=1)), history)
    assert state == compute(history)


def test_an_open_today_holds_back_a_later_completed_day_while_a_run_could_break() -> None:
    """Today open, tomorrow already done (an early reminder): tomorrow waits for today's verdict."""
    state, _ = fold("xx")  # Mon, Tue complete
    wed, thu, fri = (MON + timedelta(days=n) for n in (2, 3, 4))
    held = view(
        state,
        today=wed,
        today_complete=False,
        today_scheduled=True,
        now_local_time=time(23, 0),
        later=[Day(thu, True, False, True)],
    )
    assert (held["current"], held["longest"]) == (2, 2)
    done = view(
        state,
        today=wed,
        today_complete=True,
        today_scheduled=True,
        now_local_time=time(23, 0),
        later=[Day(thu, True, False, True)],
    )
    assert (done["current"], done["longest"]) == (4, 4)
    # An open day after today holds back what follows it too.
    gap = view(
        state,
        today=wed,
        today_complete=True,
        today_scheduled=True,
        now_local_time=time(23, 0),
        later=[Day(thu, True, False, False), Day(fri, True, False, True)],
    )
    assert (gap["current"], gap["longest"]) == (3, 3)


def test_with_no_run_an_open_today_holds_nothing_back() -> None:
    """Nothing to break (current 0): the later completed day counts at once."""
    start = StreakState.start(MON - timedelta(days=1))
    shown = view(
        start,
        today=MON,
        today_complete=False,
        today_scheduled=True,
        now_local_time=time(23, 0),
        later=[Day(MON + timedelta(days=1), True, False, True)],
    )
    assert (shown["current"], shown["longest"]) == (1, 1)
