"""The couple's lasting day is one for every domain: after a move west, the latest day the couple
lived lasts, whichever domain's rows show they lived it (api.streaks.days.lasting_day).

A mood posted on Tuesday keeps Tuesday's question today's, a question opened on Tuesday keeps
Tuesday's moods today's.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import auth
from tests.questions.conftest import Pair, at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(client: Any, zone: str) -> None:
    response = client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _mood(client: Any, uid: str, mood: int = 3) -> dict[str, Any]:
    body = {"mood": mood, "needs": [], "client_id": str(uuid.uuid4())}
    response = client.post("/v1/couple/moods", json=body, headers=auth(uid))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _get(client: Any, path: str, uid: str = "alex") -> Any:
    response = client.get(path, headers=auth(uid))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_mood_of_tuesday_keeps_the_answered_monday_question_from_coming_back(
    pair: Pair, clock: Any
) -> None:
    _move(pair.client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 2, 10, 0))  # Monday in Tokyo: both answer, it is revealed
    monday = pair.today(pair.alex)
    assert pair.answer(pair.alex, monday["id"], "The sea").status_code == 201
    assert pair.answer(pair.sam, monday["id"], "The hills").status_code == 201
    clock.set(at(TOKYO, 2026, 3, 3, 8, 0))  # Tuesday morning: a mood, nobody opens the question
    assert _mood(pair.client, "alex")["local_date"] == "2026-03-03"

    _move(pair.client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    today = pair.today(pair.sam)
    # Tuesday's question, not Monday's again with both answers already shown as today's.
    assert today["local_date"] == "2026-03-03" and today["id"] != monday["id"]
    assert today["my_answer"] is None


def test_a_question_opened_on_tuesday_keeps_mondays_moods_from_coming_back(
    pair: Pair, clock: Any
) -> None:
    _move(pair.client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 2, 20, 0))  # Monday evening in Tokyo
    sams_monday = _mood(pair.client, "sam", mood=1)
    clock.set(at(TOKYO, 2026, 3, 3, 8, 0))  # Tuesday morning: Alex opens the question
    assert pair.today(pair.alex)["local_date"] == "2026-03-03"

    _move(pair.client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # Monday evening in Los Angeles
    # Sam's Monday mood is not shown to Alex as today's, and a new entry counts for Tuesday.
    assert _get(pair.client, "/v1/couple/moods/today")["partner"] is None
    assert sams_monday["local_date"] == "2026-03-02"
    assert _mood(pair.client, "alex")["local_date"] == "2026-03-03"
