"""Fixtures of the daily-question tests: the library imported, a couple with phones, helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.pairing.models import Couple
from api.users.models import User
from tests.conftest import auth
from tests.factories import CoupleFactory, DeviceFactory, UserFactory
from workers.push import LogSender, get_sender

CONTENT = Path(__file__).resolve().parents[2] / "content"
BERLIN = ZoneInfo("Europe/Berlin")
# Monday 2026-03-02, 13:00 in Berlin (CET): where every test's clock starts.
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(zone: ZoneInfo, *args: int) -> datetime:
    """A wall-clock time in zone, as an aware UTC instant."""
    return datetime(*args, tzinfo=zone).astimezone(UTC)


@dataclass
class Pair:
    """Alex and Sam, paired, as the tests use them through the API."""

    client: FlaskClient
    couple: Couple
    alex: dict[str, str]
    sam: dict[str, str]
    alex_id: int
    sam_id: int

    def today(self, who: dict[str, str]) -> dict[str, Any]:
        response = self.client.get("/v1/couple/questions/today", headers=who)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def answer(
        self, who: dict[str, str], question_id: int, text: str, client_id: str | None = None
    ) -> Any:
        return self.client.put(
            f"/v1/couple/questions/{question_id}/answer",
            json={"text": text, "client_id": client_id or str(uuid.uuid4())},
            headers=who,
        )

    def feed(self, who: dict[str, str]) -> list[dict[str, Any]]:
        response = self.client.get("/v1/notifications?limit=100", headers=who)
        assert response.status_code == 200
        return response.get_json()["items"]


@pytest.fixture
def library() -> None:
    """The shipped question library (and the rest of the content), imported."""
    import_content(db.session, load(CONTENT))


@pytest.fixture
def pair(client: FlaskClient, library: None, clock: Any) -> Pair:
    """Alex (en, Berlin) and Sam (es, New York), a couple in Europe/Berlin, one phone each.

    The clock is at START when they pair (their first reminder is scheduled from it).
    """
    clock.set(START)
    alex = UserFactory(uid="alex", display_name="Alex", locale="en", timezone="Europe/Berlin")
    sam = UserFactory(uid="sam", display_name="Sam", locale="es", timezone="America/New_York")
    couple = CoupleFactory(a=alex, b=sam, timezone="Europe/Berlin")
    for user_id in couple.partner_ids:
        DeviceFactory(user=db.session.get(User, user_id))
    return Pair(client, couple, auth("alex"), auth("sam"), alex.id, sam.id)


@pytest.fixture
def pushes(app: Flask) -> LogSender:
    """What the LogSender pushed during this test."""
    sender = get_sender(app.extensions["hearth_config"])
    assert isinstance(sender, LogSender)
    sender.sent.clear()
    return sender
