"""The streak read's one statement: each ritual's child rows are its own, never another's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from api.extensions import db
from api.pairing.models import Couple
from api.streaks import service
from tests.conftest import auth

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
DAILY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _call(client: FlaskClient, method: str, path: str, uid: str, body: Any = None) -> Any:
    response = client.open(path, method=method, json=body, headers=auth(uid))
    assert response.status_code < 300, (path, response.get_json())
    return response.get_json()


def _couple_with_checked_in_rituals(client: FlaskClient, name: str, rituals: int) -> None:
    a, b = f"{name}-a", f"{name}-b"
    code = _call(client, "POST", "/v1/invites", a)["code"]
    _call(client, "POST", "/v1/couple", b, {"code": code})
    for n in range(rituals):
        body = {
            "title": f"Ritual {n}",
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "07:30",
            },
            "completion": "either",
            "client_id": str(uuid.uuid4()),
        }
        ritual = _call(client, "POST", "/v1/couple/rituals", a, body)["id"]
        # A check-in writes the ritual's streak record.
        _call(
            client,
            "POST",
            f"/v1/couple/rituals/{ritual}/check-ins",
            b,
            {"client_id": str(uuid.uuid4()), "local_date": "2026-03-03"},
        )


def test_each_ritual_reads_only_its_own_schedules_and_check_ins(
    client: FlaskClient, clock: Any
) -> None:
    clock.set(NOW)
    for name in ("one", "two", "three"):
        _couple_with_checked_in_rituals(client, name, rituals=2)
    couple = db.session.scalars(db.select(Couple).order_by(Couple.id)).first()
    assert couple is not None

    inputs = service._streak_inputs(db.session, couple, NOW)

    assert len(inputs) == 2
    for record, days in inputs:
        assert record is not None
        # One schedule row each (never multiplied by the other rituals' streak records) ...
        assert len(days.timeline.entries) == 1
        # ... and the one check-in of this ritual, by its partner.
        assert {d: len(u) for d, u in days.checkins.items()} == {datetime(2026, 3, 3).date(): 1}
