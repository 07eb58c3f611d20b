"""A couple's calendar change keeps the day the couple was on (couples.lived_through).

A move west (or a later day start) takes the new calendar's day back, but the couple already
lived the day it was on: that day stays today and the days before its yesterday stay settled.
A move east may jump over a day that then lasted no time: it is never missed nor checked in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.conftest import auth
from tests.streaks.conftest import Pair


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def patch_couple(pair: Pair, **changes: Any) -> None:
    response = pair.client.patch("/v1/couple", json=changes, headers=auth(pair.alex.uid))
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "move", [{"timezone": "America/Los_Angeles"}, {"day_starts_at": "12:00"}], ids=["west", "later"]
)
def test_a_day_closed_before_a_move_west_stays_settled(pair: Pair, clock: Any, move: dict) -> None:
    """Before: after the move 06-01 and 06-02 were taken (201) and the streak rebuilt to 3/4."""
    clock.set(utc(2026, 5, 31, 10, 0))
    patch_couple(pair, timezone="UTC", day_starts_at="04:00")
    kiss = pair.ritual()
    assert pair.check_in(pair.alex, kiss).status_code == 201  # Sunday
    clock.set(utc(2026, 6, 3, 10, 0))  # Wednesday: Monday and Tuesday missed
    assert pair.check_in(pair.alex, kiss, local_date=date(2026, 6, 1)).status_code == 422
    assert pair.streak(kiss)["current"] == 0

    patch_couple(pair, **move)  # the new calendar's day is Tuesday again

    response = pair.check_in(pair.alex, kiss, local_date=date(2026, 6, 1))
    assert response.status_code == 422, response.get_json()
    # Tuesday was yesterday when they moved, and still is: Wednesday is today.
    assert pair.check_in(pair.alex, kiss, local_date=date(2026, 6, 2)).status_code == 201
    response = pair.check_in(pair.sam, kiss)
    assert response.status_code == 201 and response.get_json()["local_date"] == "2026-06-03"
    assert pair.streak(kiss)["current"] == 2  # Tuesday and Wednesday; Monday was missed


def test_a_move_east_that_skips_a_day_keeps_the_streak(pair: Pair, clock: Any) -> None:
    """Before: current 0 straight after the move, and the skipped 06-02 taken as yesterday."""
    clock.set(utc(2026, 5, 31, 20, 0))  # Sunday 09:00 in Pago Pago (UTC-11)
    patch_couple(pair, timezone="Pacific/Pago_Pago", day_starts_at="04:00")
    kiss = pair.ritual()
    assert pair.check_in(pair.alex, kiss).status_code == 201
    clock.set(utc(2026, 6, 1, 20, 0))
    assert pair.check_in(pair.alex, kiss).status_code == 201
    clock.set(utc(2026, 6, 2, 14, 30))  # 03:30 on 06-02 in Pago Pago: still Monday's ritual day
    assert pair.streak(kiss)["current"] == 2

    patch_couple(pair, timezone="Pacific/Kiritimati")  # 04:30 on 06-03 there: Tuesday skipped

    assert pair.streak(kiss)["current"] == 2
    response = pair.check_in(pair.sam, kiss, local_date=date(2026, 6, 2))
    assert response.status_code == 422, response.get_json()
    response = pair.check_in(pair.sam, kiss)
    assert response.status_code == 201 and response.get_json()["local_date"] == "2026-06-03"
    assert pair.streak(kiss)["current"] == 3
