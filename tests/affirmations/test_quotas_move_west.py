"""After a move west the couple's lasting day keeps its daily counts: the affirmations pushed
today, and every other per-couple-day quota (gratitude, nudges, rituals created), are counted by
api.streaks.days.couple_current_day, not by the new zone's day, which is the day before."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.affirmations import service as affirmations
from api.extensions import db
from api.notifications.models import Notification
from tests.conftest import auth
from tests.factories import CoupleFactory
from tests.questions.conftest import at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _send(client: Any) -> None:
    body = {"text": "You are lovely.", "client_id": str(uuid.uuid4())}
    response = client.post("/v1/couple/affirmations", json=body, headers=auth("alex"))
    assert response.status_code == 201, response.get_json()


def test_the_push_limit_of_the_day_lived_lasts_through_a_flight_west(client, clock) -> None:
    clock.set(at(TOKYO, 2026, 3, 3, 8, 0))  # Tuesday morning in Tokyo
    CoupleFactory(a__uid="alex", b__uid="sam", timezone="Asia/Tokyo")
    mood = {"mood": 4, "needs": [], "client_id": str(uuid.uuid4())}
    assert client.post("/v1/couple/moods", json=mood, headers=auth("sam")).status_code == 201
    for _ in range(affirmations.PUSHED_AFFIRMATIONS_PER_DAY):
        _send(client)

    moved = client.patch(
        "/v1/couple", json={"timezone": "America/Los_Angeles"}, headers=auth("alex")
    )
    assert moved.status_code == 200
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    _send(client)  # still Tuesday for the couple: past the day's push limit, inbox only
    statuses = db.session.scalars(
        select(Notification.status)
        .where(Notification.category == "affirmation")
        .order_by(Notification.id)
    ).all()
    db.session.remove()
    assert statuses == ["pending"] * affirmations.PUSHED_AFFIRMATIONS_PER_DAY + ["suppressed"]
