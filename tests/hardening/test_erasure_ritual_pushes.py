"""DELETE /v1/me: the pushes the partner got about a ritual the erased user created go too.

A ritual's title is the creator's words (erasure deletes the ritual at once for that reason),
and every push about the ritual carries it: the reminders as their title, the streak pushes
inside their body. Before: the ritual went, but the partner's feed kept those pushes, with the
erased person's words in them, until the 30-day purge.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from api.rituals import reminders
from tests.conftest import auth
from tests.pairing.util import pair

TITLE = "Zanzibar moonlight ritual"
# Monday 2026-03-30; the couple is on UTC (the inviter's zone), so the 08:00 ritual is 08:00Z.
BEFORE = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
OCCURRENCE = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def _feed(client, uid: str) -> list[dict]:
    return client.get("/v1/notifications", headers=auth(uid)).get_json()["items"]


def test_the_partners_pushes_about_an_erased_users_ritual_go_with_it(client, clock):
    clock.set(BEFORE)
    pair(client, "partner", "zq")
    created = client.post(
        "/v1/couple/rituals",
        json={
            "title": TITLE,
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "08:00",
            },
            "reminder": {"enabled": True, "minutes_before": 0},
            "client_id": str(uuid.uuid4()),
        },
        headers=auth("zq"),
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["next_reminder_at"] == "2026-03-30T08:00:00Z"
    clock.set(OCCURRENCE + timedelta(seconds=5))
    assert reminders.run_due(db.session, moment=OCCURRENCE + timedelta(seconds=5)).reminded == 1
    # The partner was reminded, under the ritual's title (else the check below proves nothing).
    assert TITLE in [n["title"] for n in _feed(client, "partner")]

    assert client.delete("/v1/me", headers=auth("zq")).status_code == 204

    feed = _feed(client, "partner")
    assert feed, "the partner is told of the erasure"
    assert all(TITLE not in n["title"] + n["body"] for n in feed), feed
    left = db.session.scalars(
        select(Notification.id).where(
            Notification.title.contains(TITLE) | Notification.body.contains(TITLE)
        )
    ).all()
    assert left == []
