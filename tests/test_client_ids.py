"""One rule for a client_id on every route that takes one (API.md Conventions; api/idempotency.py).

A client_id names one write of one partner and is the couple's: the writer's retry answers 200
with the original; the partner sending the same client_id gets 409 and nothing is created (it
is not a replay of anything they wrote). The spec walk below makes a new route that takes a
client_id join the table, or fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.streaks.models import CheckIn
from tests.conftest import auth
from tests.paired_couple import call, pair_in_berlin

CONTENT = Path(__file__).resolve().parent.parent / "content"


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # as the spec names it
    path: Callable[[dict[str, Any]], str]
    body: Callable[[int], dict[str, Any]]  # n: a different text per write
    count: Callable[[FlaskClient, dict[str, Any]], int]


def _items(client: FlaskClient, path: str, uid: str = "alex") -> int:
    body = call(client, "GET", path, uid)
    return len(body["items"] if isinstance(body, dict) else body)


def _answers(client: FlaskClient, scene: dict[str, Any]) -> int:
    today = call(client, "GET", "/v1/couple/questions/today", "alex")
    return (today["my_answer"] is not None) + today["partner_answered"]


def _check_ins(client: FlaskClient, scene: dict[str, Any]) -> int:
    # Counted in the table: a check-in under another ritual would not show in one history.
    return db.session.scalar(select(func.count()).select_from(CheckIn)) or 0


DAILY = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": "07:30"}

ROUTES = {
    "ritual": Route(
        "post",
        "/v1/couple/rituals",
        lambda s: "/v1/couple/rituals",
        lambda n: {
            "title": f"Walk {n}",
            "schedule": DAILY,
            "reminder": {"enabled": False, "minutes_before": 0},
            "completion": "either",
        },
        lambda c, s: _items(c, "/v1/couple/rituals"),
    ),
    "check-in": Route(
        "post",
        "/v1/couple/rituals/{ritual_id}/check-ins",
        lambda s: f"/v1/couple/rituals/{s['rituals'][1]}/check-ins",
        lambda n: {},
        _check_ins,
    ),
    "mood": Route(
        "post",
        "/v1/couple/moods",
        lambda s: "/v1/couple/moods",
        lambda n: {"mood": 1 + n % 5, "needs": []},
        lambda c, s: (
            _items(c, "/v1/couple/moods?who=me") + _items(c, "/v1/couple/moods?who=partner")
        ),
    ),
    "memory": Route(
        "post",
        "/v1/couple/memories",
        lambda s: "/v1/couple/memories",
        lambda n: {"title": f"Lake {n}", "happened_on": "2024-06-01"},
        lambda c, s: _items(c, "/v1/couple/memories"),
    ),
    "affirmation": Route(
        "post",
        "/v1/couple/affirmations",
        lambda s: "/v1/couple/affirmations",
        lambda n: {"text": f"You are kind {n}"},
        lambda c, s: (
            _items(c, "/v1/couple/affirmations?box=sent")
            + _items(c, "/v1/couple/affirmations?box=received")
        ),
    ),
    "gratitude": Route(
        "post",
        "/v1/couple/gratitude",
        lambda s: "/v1/couple/gratitude",
        lambda n: {"text": f"Your laugh {n}"},
        lambda c, s: _items(c, "/v1/couple/gratitude"),
    ),
    "answer": Route(
        "put",
        "/v1/couple/questions/{question_id}/answer",
        lambda s: f"/v1/couple/questions/{s['question']}/answer",
        lambda n: {"text": f"The sea {n}"},
        _answers,
    ),
}


@pytest.fixture
def scene(client: FlaskClient, clock: Any) -> dict[str, Any]:
    """Alex and Sam paired in Berlin with two daily rituals, the question library loaded."""
    import_content(db.session, load(CONTENT))
    scene = pair_in_berlin(client, clock)
    scene["question"] = call(client, "GET", "/v1/couple/questions/today", "alex")["id"]
    return scene


def _send(client: FlaskClient, route: Route, scene: dict[str, Any], uid: str, n: int, cid: str):
    return client.open(
        route.path(scene),
        method=route.method.upper(),
        json={**route.body(n), "client_id": cid},
        headers=auth(uid),
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_partner_reusing_a_client_id_gets_409_and_creates_nothing(client, scene, name):
    route = ROUTES[name]
    client_id = str(uuid.uuid4())
    first = _send(client, route, scene, "alex", 1, client_id)
    assert first.status_code == 201, first.get_json()
    before = route.count(client, scene)

    taken = _send(client, route, scene, "sam", 2, client_id)
    assert taken.status_code == 409, taken.get_json()
    assert taken.headers["Content-Type"] == "application/problem+json"
    assert taken.get_json()["type"].endswith("/client-id-taken")
    assert route.count(client, scene) == before

    # The writer's own retry is still the replay of the original.
    again = _send(client, route, scene, "alex", 1, client_id)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    # And the partner's own write, under its own client_id, goes through.
    assert _send(client, route, scene, "sam", 3, str(uuid.uuid4())).status_code == 201


def test_a_check_in_under_the_partners_client_id_on_another_ritual_is_409(client, scene):
    client_id = str(uuid.uuid4())
    first, other = scene["rituals"]
    body = {"client_id": client_id}
    assert call(client, "POST", f"/v1/couple/rituals/{first}/check-ins", "alex", body)
    taken = client.post(f"/v1/couple/rituals/{other}/check-ins", json=body, headers=auth("sam"))
    assert taken.status_code == 409
    assert db.session.scalar(select(func.count()).where(CheckIn.client_id == client_id)) == 1


def test_every_route_that_takes_a_client_id_is_in_the_table(client):
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def takes_client_id(operation: dict[str, Any]) -> bool:
        content = operation.get("requestBody", {}).get("content", {})
        for media in content.values():
            ref = media["schema"].get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], media["schema"])
            if "client_id" in schema.get("properties", {}):
                return True
        return False

    found = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and takes_client_id(operation)
    }
    assert found == {(r.method, r.template) for r in ROUTES.values()}
