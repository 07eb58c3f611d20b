"""Rituals changed by two requests at once (PostgreSQL): both partners on their phones.

Before the locks, both partners creating the 50th ritual at once made 51, and both pausing
at once opened two pause spans, of which the resume closed one: the missed days after it
counted as paused, the streak never broke and no "at risk" push came.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from api.extensions import db
from api.rituals.models import Ritual
from api.rituals.service import MAX_RITUALS_PER_COUPLE
from api.streaks.models import RitualPause
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _create(client, uid: str) -> int:
    body = {
        "title": f"Ritual of {uid}",
        "schedule": {"days": ["mon"], "time": "07:30"},
        "client_id": str(uuid.uuid4()),
    }
    return client.post("/v1/couple/rituals", json=body, headers=auth(uid)).status_code


def test_both_partners_creating_the_last_ritual_keep_the_cap(app, client, clock):
    clock.set(NOW)
    couple = CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    for _ in range(MAX_RITUALS_PER_COUPLE - 1):
        RitualFactory(couple=couple)
    sams = lambda: _create(app.test_client(), "sam")  # noqa: E731
    with meanwhile(sams, before="INSERT INTO rituals") as answers:
        alexs = _create(client, "alex")
    live = db.session.scalar(
        select(func.count()).where(Ritual.couple_id == couple.id, Ritual.deleted_at.is_(None))
    )
    assert (live, sorted([alexs, *answers])) == (MAX_RITUALS_PER_COUPLE, [201, 409])


def test_both_partners_pausing_at_once_leave_one_open_pause(app, client, clock):
    clock.set(NOW)
    couple = CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    ritual_id = RitualFactory(couple=couple).id
    path = f"/v1/couple/rituals/{ritual_id}"
    pause = lambda uid, c: c.patch(path, json={"paused": True}, headers=auth(uid)).status_code  # noqa: E731
    with meanwhile(lambda: pause("sam", app.test_client()), before="INSERT INTO ritual_pauses"):
        assert pause("alex", client) == 200
    # Resumed a day later: the ritual counts again, for its streak too.
    clock.advance(hours=24)
    assert client.patch(path, json={"paused": False}, headers=auth("alex")).status_code == 200
    spans = db.session.execute(
        select(RitualPause.paused_from, RitualPause.resumed_on).where(
            RitualPause.ritual_id == ritual_id
        )
    ).all()
    assert [resumed for _, resumed in spans if resumed is None] == []  # no pause left open
