"""Fixtures of the streak tests: a paired couple (Alex and Sam in Berlin) and HTTP helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from api.pairing.models import Couple
from api.rituals.models import Ritual
from api.users.models import User
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")


def at(zone: str | ZoneInfo, *args: int) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``: at(BERLIN, 2026, 3, 2, 18, 0)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


@dataclass
class Pair:
    client: FlaskClient
    alex: User
    sam: User
    couple: Couple

    def ritual(self, **kw: Any) -> Ritual:
        return RitualFactory(couple=self.couple, **kw)

    def check_in(self, who: User, ritual: Ritual, **body: Any) -> Any:
        body.setdefault("client_id", str(uuid.uuid4()))
        if isinstance(body.get("local_date"), date):
            body["local_date"] = body["local_date"].isoformat()
        return self.client.post(
            f"/v1/couple/rituals/{ritual.id}/check-ins", json=body, headers=auth(who.uid)
        )

    def streak(self, ritual: Ritual, who: User | None = None) -> dict[str, Any]:
        response = self.client.get(
            f"/v1/couple/rituals/{ritual.id}/streak", headers=auth((who or self.alex).uid)
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def nudge(self, who: User, ritual: Ritual) -> Any:
        return self.client.post(f"/v1/couple/rituals/{ritual.id}/nudge", headers=auth(who.uid))

    def feed(self, who: User, category: str | None = None) -> list[dict[str, Any]]:
        response = self.client.get("/v1/notifications?limit=100", headers=auth(who.uid))
        assert response.status_code == 200
        items = response.get_json()["items"]
        return [n for n in items if category is None or n["category"] == category]


@pytest.fixture
def pair(client: FlaskClient) -> Pair:
    alex = UserFactory(uid="alex", display_name="Alex", timezone="Europe/Berlin")
    sam = UserFactory(uid="sam", display_name="Sam", timezone="Europe/Berlin")
    couple = CoupleFactory(a=alex, b=sam, timezone="Europe/Berlin")
    return Pair(client, alex, sam, couple)
