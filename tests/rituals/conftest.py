"""Fixtures of the rituals tests: a paired couple with phones, templates, the push log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

import factory
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.extensions import db
from api.pairing.models import Couple
from api.rituals.models import RitualTemplate
from api.users.models import User
from tests.conftest import auth
from tests.factories import CoupleFactory, DeviceFactory, _Base
from workers.push import LogSender, get_sender


class RitualTemplateFactory(_Base):
    class Meta:
        model = RitualTemplate

    key = factory.Sequence(lambda n: f"template-{n}")
    title = "Six-second kiss"
    description = "A kiss that lasts at least six seconds."
    schedule_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    schedule_time = time(18, 30)
    completion = "either"
    reminder_enabled = True
    reminder_minutes_before = 0


@dataclass
class Pair:
    """A paired couple as the tests use it: the row and each partner's headers and ids."""

    couple: Couple
    alex: dict[str, str]
    sam: dict[str, str]
    alex_id: int
    sam_id: int


@pytest.fixture
def pair() -> Pair:
    """Alex and Sam, paired (couple zone Europe/Berlin), each with one phone."""
    couple = CoupleFactory(a__uid="alex", b__uid="sam", timezone="Europe/Berlin")
    for user_id in couple.partner_ids:
        DeviceFactory(user=db.session.get(User, user_id))
    return Pair(couple, auth("alex"), auth("sam"), couple.user_a_id, couple.user_b_id)


@pytest.fixture
def pushes(app: Flask) -> LogSender:
    """What the LogSender pushed during this test."""
    sender = get_sender(app.extensions["hearth_config"])
    assert isinstance(sender, LogSender)
    sender.sent.clear()
    return sender


@pytest.fixture
def create_ritual(client: FlaskClient, pair: Pair) -> Any:
    """POST a ritual as Alex; returns the response JSON (asserts 201)."""
    counter = iter(range(1, 10_000))

    def create(**body: Any) -> dict[str, Any]:
        body.setdefault("client_id", f"00000000-0000-4000-8000-{next(counter):012d}")
        response = client.post("/v1/couple/rituals", json=body, headers=pair.alex)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
