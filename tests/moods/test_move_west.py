"""After a move west the couple's day goes back by one: the moods' day lasts instead of the day
before coming back, as the daily question's does (api.streaks.days.couple_current_day). Today
still shows the day's entries, a new entry is not dated a day already lived, the needs push
stays one per sender per day, and history and summary keep the entries in their day and week."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.extensions import db
from api.moods.models import MoodEntry
from tests.conftest import auth
from tests.moods.conftest import Couple2
from tests.moods.test_moods_api import post_mood, pushes_to
from tests.questions.conftest import at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(pair: Couple2, zone: str) -> None:
    response = pair.client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _get(pair: Couple2, uid: str, path: str) -> Any:
    response = pair.client.get(path, headers=auth(uid))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_mood_day_lasts_through_a_flight_west(pair: Couple2, clock: Any) -> None:
    _move(pair, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 3, 10, 0))  # Tuesday morning in Tokyo
    tuesday = post_mood(pair, "alex", mood=2, needs=["heard"]).get_json()
    assert tuesday["local_date"] == "2026-03-03"
    assert len(pushes_to(pair.sam.id)) == 1

    _move(pair, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    today = _get(pair, "sam", "/v1/couple/moods/today")
    assert today["partner"]["id"] == tuesday["id"] and today["me"] is None

    # A new entry counts for Tuesday, not for the Monday already lived: and so does the push
    # limit, one per sender per couple day.
    again = post_mood(pair, "alex", mood=3, needs=["space"]).get_json()
    assert again["local_date"] == "2026-03-03"
    assert len(pushes_to(pair.sam.id)) == 1
    sams = post_mood(pair, "sam", mood=4, needs=["touched"]).get_json()
    assert sams["local_date"] == "2026-03-03"
    assert len(pushes_to(pair.alex.id)) == 1
    today = _get(pair, "alex", "/v1/couple/moods/today")
    assert (today["me"]["id"], today["partner"]["id"]) == (again["id"], sams["id"])

    # History and summary: every entry in Tuesday and its week, nothing on the Monday.
    history = _get(pair, "alex", "/v1/couple/moods")["items"]
    assert [e["local_date"] for e in history] == ["2026-03-03"] * 3
    assert _get(pair, "alex", "/v1/couple/moods?from=2026-03-02&to=2026-03-02")["items"] == []
    (week,) = _get(pair, "alex", "/v1/couple/moods/summary?weeks=1")["weeks"]
    assert week["week"] == "2026-W10"
    assert [(p["entries"], p["needs"]) for p in week["partners"]] == [
        (2, {"heard": 1, "space": 1}),
        (1, {"touched": 1}),
    ]

    clock.set(at(LA, 2026, 3, 3, 12, 0))  # Tuesday in Los Angeles: the same day still
    assert _get(pair, "alex", "/v1/couple/moods/today")["me"]["id"] == again["id"]
    clock.set(at(LA, 2026, 3, 4, 12, 0))  # Wednesday: a new day, a new push
    assert _get(pair, "alex", "/v1/couple/moods/today") == {"me": None, "partner": None}
    wednesday = post_mood(pair, "alex", mood=4, needs=["heard"]).get_json()
    assert wednesday["local_date"] == "2026-03-04"
    assert len(pushes_to(pair.sam.id)) == 2
    days = db.session.scalars(select(MoodEntry.local_date).order_by(MoodEntry.id)).all()
    assert [d.isoformat() for d in days] == ["2026-03-03"] * 3 + ["2026-03-04"]


def test_the_summary_keeps_this_week_when_the_move_goes_back_past_monday(
    pair: Couple2, clock: Any
) -> None:
    _move(pair, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 9, 10, 0))  # Monday of W11 in Tokyo
    monday = post_mood(pair, "alex", mood=5, needs=["encouraged"]).get_json()
    assert monday["local_date"] == "2026-03-09"

    _move(pair, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 8, 18, 0))  # still Sunday of W10 in Los Angeles
    (week,) = _get(pair, "alex", "/v1/couple/moods/summary?weeks=1")["weeks"]
    assert (week["week"], week["starts_on"]) == ("2026-W11", "2026-03-09")
    assert week["partners"][0]["entries"] == 1
    assert _get(pair, "alex", "/v1/couple/moods/today")["me"]["id"] == monday["id"]
