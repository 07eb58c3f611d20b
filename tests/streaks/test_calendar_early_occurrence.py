"""A reminder before the day start: its check-in counts for the next ritual day while today is
still open. The two "longest went down" examples the model test found after the big merge.

A ritual at 00:15 with days beginning at 01:30 (or 04:00) fires on date D+1 while ritual day D
is still running, and a check-in at that reminder counts for D+1 (API.md: "a check-in made at a
reminder's own occurrence always counts for that occurrence's day"). Before the fix the streak
read counted D+1 into the run across the still-open day D (as if D were neutral), so when D then
passed incomplete the run split and ``longest`` went down (2 -> 1, 3 -> 2). Now a completed day
after an open counting day waits for that day's verdict: it joins the run when the open day is
completed, or starts a new run once the open day is missed.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from tests.conftest import auth
from tests.streaks.conftest import BERLIN, Pair, at
from tests.streaks.test_calendar_cases import create, patch_couple, patch_ritual, ritual_row, tick

DAILY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def reading(pair: Pair, ritual_id: int) -> tuple[int, int]:
    response = pair.client.get(f"/v1/couple/rituals/{ritual_id}/streak", headers=auth("alex"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body["current"], body["longest"]


def checked_in(response: Any, day: date) -> None:
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["local_date"] == day.isoformat()


def test_case_1_lord_howe_couple_tokyo_ritual_at_0015_day_start_0130(pair, clock):
    """Model example 1. Before: (2, 2) at the early check-in, longest 1 after 18 days.
    After: (1, 1), then (0, 1): longest never goes down."""
    patch_couple(pair, timezone="Australia/Lord_Howe", day_starts_at="01:30")
    clock.set(at("UTC", 2027, 4, 1, 12, 0))
    body = create(
        pair,
        schedule={"days": DAILY, "time": "00:15", "timezone": "Asia/Tokyo"},
        reminder={"enabled": True, "minutes_before": 0},
        completion="either",
    )
    ritual = ritual_row(body)
    # 2027-04-10 15:49Z is 00:49 on the 11th in Tokyo: ritual day 10 April (it begins at 01:30),
    # 34 minutes after the reminder of 11 April's occurrence (00:15 Tokyo = 15:15Z).
    tick(clock, at("UTC", 2027, 4, 10, 15, 15))
    clock.set(at("UTC", 2027, 4, 10, 15, 49))
    checked_in(pair.check_in(pair.sam, ritual, local_date=date(2027, 4, 9)), date(2027, 4, 9))
    checked_in(pair.check_in(pair.alex, ritual, local_date=date(2027, 4, 9)), date(2027, 4, 9))
    checked_in(pair.check_in(pair.sam, ritual), date(2027, 4, 11))
    # 10 April is still open: the 11th waits for its verdict instead of bridging it.
    assert reading(pair, body["id"]) == (1, 1)
    patch_ritual(pair, body["id"], schedule={"timezone": None})
    assert reading(pair, body["id"]) == (1, 1)
    clock.set(at("UTC", 2027, 4, 28, 15, 49))
    assert reading(pair, body["id"]) == (0, 1)


def test_case_1_the_open_day_completed_joins_the_early_day(pair, clock):
    """The same morning, but the open day is then checked in: the run is all three days."""
    patch_couple(pair, timezone="Australia/Lord_Howe", day_starts_at="01:30")
    clock.set(at("UTC", 2027, 4, 1, 12, 0))
    body = create(
        pair,
        schedule={"days": DAILY, "time": "00:15", "timezone": "Asia/Tokyo"},
        reminder={"enabled": True, "minutes_before": 0},
        completion="either",
    )
    ritual = ritual_row(body)
    clock.set(at("UTC", 2027, 4, 10, 15, 49))
    checked_in(pair.check_in(pair.alex, ritual, local_date=date(2027, 4, 9)), date(2027, 4, 9))
    checked_in(pair.check_in(pair.sam, ritual), date(2027, 4, 11))
    assert reading(pair, body["id"]) == (1, 1)
    checked_in(pair.check_in(pair.alex, ritual, local_date=date(2027, 4, 10)), date(2027, 4, 10))
    assert reading(pair, body["id"]) == (3, 3)
    clock.set(at("UTC", 2027, 4, 12, 12, 0))  # 12 April open, not missed
    assert reading(pair, body["id"]) == (3, 3)


def test_case_2_berlin_0015_ritual_before_the_0400_day_start(pair, clock):
    """Model example 2. Before: (3, 3) after the early check-in, longest 2 after the day start.
    After: (2, 2), then (1, 2)."""
    clock.set(at(BERLIN, 2027, 3, 1, 12, 0))  # a Monday
    body = create(
        pair,
        schedule={"days": DAILY, "time": "19:00"},
        reminder={"enabled": True, "minutes_before": 0},
        completion="either",
    )
    ritual = ritual_row(body)
    # Two schedule edits, as in the example: both apply from the current day (none checked in).
    patch_ritual(pair, body["id"], schedule={"days": ["mon", "wed", "fri"], "time": "00:15"})
    patch_ritual(pair, body["id"], schedule={"days": DAILY})
    for day in (1, 2):
        clock.set(at(BERLIN, 2027, 3, day, 20, 0))
        checked_in(pair.check_in(pair.alex, ritual), date(2027, 3, day))
    assert reading(pair, body["id"]) == (2, 2)
    # Thursday 00:15 Berlin fires in Wednesday's ritual day (it runs to Thursday 04:00).
    tick(clock, at(BERLIN, 2027, 3, 4, 0, 15))
    clock.set(at(BERLIN, 2027, 3, 4, 0, 20))
    checked_in(pair.check_in(pair.sam, ritual), date(2027, 3, 4))
    assert reading(pair, body["id"]) == (2, 2)  # Wednesday still open
    clock.set(at(BERLIN, 2027, 3, 4, 3, 59))
    assert reading(pair, body["id"]) == (2, 2)
    clock.set(at(BERLIN, 2027, 3, 4, 4, 1))  # Wednesday passed incomplete: missed
    assert reading(pair, body["id"]) == (1, 2)
    # A late check-in for yesterday repairs it: the whole run, nothing lost.
    checked_in(pair.check_in(pair.alex, ritual, local_date=date(2027, 3, 3)), date(2027, 3, 3))
    assert reading(pair, body["id"]) == (4, 4)


def test_a_day_start_at_midnight_has_no_early_occurrences(pair, clock):
    """Control: with days beginning at 00:00 the 00:15 check-in is today's, counted at once."""
    patch_couple(pair, day_starts_at=time(0, 0).strftime("%H:%M"))
    clock.set(at(BERLIN, 2027, 3, 1, 12, 0))
    body = create(pair, schedule={"days": DAILY, "time": "00:15"}, completion="either")
    ritual = ritual_row(body)
    for day in (2, 3, 4):
        clock.set(at(BERLIN, 2027, 3, day, 0, 20))
        checked_in(pair.check_in(pair.alex, ritual), date(2027, 3, day))
    assert reading(pair, body["id"]) == (3, 3)
    clock.set(at(BERLIN, 2027, 3, 5, 0, 10) + timedelta(days=0))
    assert reading(pair, body["id"]) == (3, 3)


def test_with_no_run_to_break_the_early_day_counts_at_once(pair, clock):
    """The model's next example (Berlin fold night, 01:45 ritual, days from 02:30): the first
    check-in ever, for the next day's occurrence, while today is open. Nothing before it can be
    broken, so it counts at once: (1, 1), and it stays 1 when the open day passes incomplete."""
    patch_couple(pair, day_starts_at="02:30")
    clock.set(at("UTC", 2026, 10, 24, 6, 0))
    body = create(pair, schedule={"days": DAILY, "time": "01:45"}, completion="either")
    ritual = ritual_row(body)
    # 01:45 CEST on the 25th is 23:45Z on the 24th; the 25th begins at 02:30 CEST (00:30Z).
    tick(clock, at("UTC", 2026, 10, 24, 23, 45))
    clock.set(at("UTC", 2026, 10, 25, 0, 28))
    checked_in(pair.check_in(pair.alex, ritual), date(2026, 10, 25))
    assert reading(pair, body["id"]) == (1, 1)
    clock.set(at("UTC", 2026, 10, 25, 0, 31))  # the 24th passed incomplete
    assert reading(pair, body["id"]) == (1, 1)
