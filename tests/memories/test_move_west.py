"""After a move west the couple's day goes back by one, but the day they already lived lasts
(api.streaks.days.couple_current_day): a memory of that day is not "in the future", though the
new zone's calendar has not reached it yet. A day after it still is."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from tests.conftest import auth
from tests.memories.conftest import new_memory
from tests.moods.conftest import Couple2, needs_content, pair  # noqa: F401 (fixtures)
from tests.moods.test_moods_api import post_mood
from tests.questions.conftest import at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(client: FlaskClient, zone: str) -> None:
    response = client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _post(client: FlaskClient, happened_on: str) -> Any:
    body = {"title": "x", "happened_on": happened_on, "client_id": str(uuid.uuid4())}
    return client.post("/v1/couple/memories", json=body, headers=auth("sam"))


def test_a_memory_of_the_day_lived_before_a_flight_west_is_not_in_the_future(
    pair: Couple2,  # noqa: F811
    clock: Any,
) -> None:
    client = pair.client
    _move(client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 3, 10, 0))  # Tuesday morning in Tokyo
    assert post_mood(pair, "alex", mood=4, needs=["heard"]).get_json()["local_date"] == (
        "2026-03-03"
    )
    earlier = new_memory(client, "alex", happened_on="2026-03-01")

    _move(client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    tuesday = _post(client, "2026-03-03")
    assert tuesday.status_code == 201, tuesday.get_json()
    assert tuesday.get_json()["happened_on"] == "2026-03-03"
    # An edit to that day too, by either partner.
    edited = client.patch(
        f"/v1/couple/memories/{earlier['id']}",
        json={"happened_on": "2026-03-03"},
        headers=auth("sam"),
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["happened_on"] == "2026-03-03"

    # Wednesday has not been lived anywhere: still the future.
    wednesday = _post(client, "2026-03-04")
    assert wednesday.status_code == 422
    assert "happened_on" in wednesday.get_json()["errors"]
    moved = client.patch(
        f"/v1/couple/memories/{earlier['id']}",
        json={"happened_on": "2026-03-04"},
        headers=auth("alex"),
    )
    assert moved.status_code == 422
    assert "happened_on" in moved.get_json()["errors"]


def test_the_day_the_couple_was_on_at_its_move_is_lived_with_nothing_dated_by_it(
    pair: Couple2,  # noqa: F811
    clock: Any,
) -> None:
    """The same flight with nothing dated Tuesday: the move itself records Tuesday as lived
    (couples.lived_through), so Monday evening in Los Angeles still allows Tuesday, not
    Wednesday."""
    client = pair.client
    _move(client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 3, 10, 0))
    _move(client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))
    assert _post(client, "2026-03-02").status_code == 201
    assert _post(client, "2026-03-03").status_code == 201
    assert _post(client, "2026-03-04").status_code == 422
