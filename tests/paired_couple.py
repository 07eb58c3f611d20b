"""A paired couple in Berlin with two daily rituals, for tests that count per-request work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import auth

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday, 13:00 in Berlin


def call(client: FlaskClient, method: str, path: str, uid: str, body: Any = None) -> Any:
    """Make a request as `uid`; assert it succeeded; its JSON body."""
    response = client.open(path, method=method, json=body, headers=auth(uid))
    assert response.status_code < 300, (path, response.get_json())
    return response.get_json()


def pair_in_berlin(client: FlaskClient, clock: Any) -> dict[str, Any]:
    """Alex and Sam paired in Berlin, with two daily rituals; Sam checked one in yesterday.

    Returns {"rituals": [id, id]}.
    """
    clock.set(NOW)
    for uid in ("alex", "sam"):
        call(client, "PATCH", "/v1/me", uid, {"display_name": uid.title()})
    code = call(client, "POST", "/v1/invites", "alex")["code"]
    call(client, "POST", "/v1/couple", "sam", {"code": code})
    call(client, "PATCH", "/v1/couple", "alex", {"timezone": "Europe/Berlin"})
    rituals = [add_ritual(client, n) for n in range(2)]
    call(
        client,
        "POST",
        f"/v1/couple/rituals/{rituals[0]}/check-ins",
        "sam",
        {"client_id": str(uuid.uuid4()), "local_date": "2026-03-03"},
    )
    return {"rituals": rituals}


def add_ritual(client: FlaskClient, n: int) -> int:
    """A daily 07:30 ritual made by Alex; its id."""
    body = {
        "title": f"Ritual {n}",
        "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": "07:30"},
        "reminder": {"enabled": True, "minutes_before": 0},
        "completion": "either",
        "client_id": str(uuid.uuid4()),
    }
    return call(client, "POST", "/v1/couple/rituals", "alex", body)["id"]
