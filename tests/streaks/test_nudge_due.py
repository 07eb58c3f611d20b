"""A nudge reminds the partner of a ritual that is due: not of a paused one, nor on a day the
ritual is not scheduled (409, each with its own problem type, and no push).

API.md: "paused: true stops reminders"; a nudge on a paused ritual answered 202 and pushed the
partner, as did a nudge for a Mon-Fri ritual on a Saturday.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from tests.conftest import auth
from tests.streaks.conftest import BERLIN, Pair, at

PROBLEMS = "https://hearth.app/problems/"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def assert_refused(pair: Pair, response: Any, problem: str) -> None:
    assert response.status_code == 409, response.get_json()
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == PROBLEMS + problem
    assert pair.feed(pair.sam, "partner_nudge") == []


def test_a_paused_ritual_is_not_nudged(pair: Pair, clock: Any) -> None:
    coffee = pair.ritual(title="Coffee")
    clock.set(at(BERLIN, 2026, 3, 2, 7, 30))  # a Monday
    paused = pair.client.patch(
        f"/v1/couple/rituals/{coffee.id}", json={"paused": True}, headers=auth("alex")
    )
    assert paused.status_code == 200, paused.get_json()
    assert_refused(pair, pair.nudge(pair.alex, coffee), "ritual-paused")
    resumed = pair.client.patch(
        f"/v1/couple/rituals/{coffee.id}", json={"paused": False}, headers=auth("alex")
    )
    assert resumed.status_code == 200
    assert pair.nudge(pair.alex, coffee).status_code == 202


def test_a_ritual_is_not_nudged_on_a_day_it_is_not_scheduled(pair: Pair, clock: Any) -> None:
    coffee = pair.ritual(title="Coffee", days=WEEKDAYS)
    clock.set(at(BERLIN, 2026, 3, 7, 9, 0))  # Saturday
    assert_refused(pair, pair.nudge(pair.alex, coffee), "not-scheduled-today")
    clock.set(at(BERLIN, 2026, 3, 9, 3, 59))  # Monday 03:59: still Sunday's ritual day
    assert_refused(pair, pair.nudge(pair.alex, coffee), "not-scheduled-today")
    clock.set(at(BERLIN, 2026, 3, 9, 4, 0))  # Monday's day begins
    assert pair.nudge(pair.alex, coffee).status_code == 202


def test_just_after_a_small_hours_occurrence_the_nudge_asks_about_its_day(pair: Pair, clock):
    """A Monday 01:30 kiss happens in Sunday's small hours (days begin at 04:00): at 01:40 a
    check-in counts for Monday, so the nudge asks about Monday too."""
    clock.set(at(BERLIN, 2026, 3, 6, 12, 0))
    kiss = pair.ritual(title="Kiss", days=["mon"], time=time(1, 30))
    clock.set(at(BERLIN, 2026, 3, 9, 1, 40))
    nudge = pair.nudge(pair.alex, kiss)
    assert nudge.status_code == 202, nudge.get_json()
    assert nudge.get_json()["local_date"] == "2026-03-09"
    checked_in = pair.check_in(pair.sam, kiss)
    assert checked_in.get_json()["local_date"] == "2026-03-09"


def test_no_nudge_once_the_partner_logged_the_small_hours_occurrence(pair: Pair, clock):
    clock.set(at(BERLIN, 2026, 3, 6, 12, 0))
    daily = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    kiss = pair.ritual(title="Kiss", days=daily, time=time(1, 30))
    clock.set(at(BERLIN, 2026, 3, 9, 1, 40))
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-03-09"
    nudge = pair.nudge(pair.alex, kiss)
    assert nudge.status_code == 409, nudge.get_json()
