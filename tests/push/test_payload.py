"""Every push's data payload holds `category`, `notification_id` and an `event`."""

from __future__ import annotations

import uuid

from api.notifications.categories import CATEGORIES
from api.notifications.payload import DEFAULT_EVENTS, push_data
from tests.conftest import auth, run_queued_jobs
from tests.pairing.util import pair
from workers.push import get_sender


def test_every_category_has_an_event():
    assert set(DEFAULT_EVENTS) == set(CATEGORIES)
    for name in CATEGORIES:
        data = push_data(category=name, notification_id=42, data={"ritual_id": 7})
        assert data == {
            "ritual_id": "7",
            "event": DEFAULT_EVENTS[name],
            "category": name,
            "notification_id": "42",
        }


def test_the_writer_may_name_a_finer_event_but_not_the_routing_keys():
    data = push_data(
        category="pairing",
        notification_id=5,
        data={"event": "unpaired", "category": "spoofed", "notification_id": "1"},
    )
    assert data == {"event": "unpaired", "category": "pairing", "notification_id": "5"}


def test_pushes_sent_carry_the_payload(app, client):
    sender = get_sender(app.extensions["hearth_config"])
    sender.sent.clear()
    for uid in ("alex", "sam"):
        registered = client.post(
            "/v1/devices",
            json={"token": f"{uid}-phone:" + "x" * 40, "platform": "ios"},
            headers=auth(uid),
        )
        assert registered.status_code == 201
    couple = pair(client, "alex", "sam")
    ritual = client.post(
        "/v1/couple/rituals",
        json={
            "title": "Morning coffee",
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "07:30",
            },
            "reminder": {"enabled": False, "minutes_before": 0},
            "completion": "either",
            "client_id": str(uuid.uuid4()),
        },
        headers=auth("alex"),
    ).get_json()
    checked = client.post(
        f"/v1/couple/rituals/{ritual['id']}/check-ins",
        json={"client_id": str(uuid.uuid4())},
        headers=auth("sam"),
    )
    assert checked.status_code == 201
    run_queued_jobs(app)

    by_category = {m.category: m.data for m in sender.sent}
    feed = client.get("/v1/notifications", headers=auth("alex")).get_json()["items"]
    ids = {n["category"]: str(n["id"]) for n in feed}
    assert by_category["pairing"] == {
        "event": "paired",
        "couple_id": str(couple["id"]),
        "category": "pairing",
        "notification_id": ids["pairing"],
    }
    assert by_category["partner_checkin"]["event"] == "checked_in"
    assert by_category["partner_checkin"]["ritual_id"] == str(ritual["id"])
    assert by_category["partner_checkin"]["notification_id"] == ids["partner_checkin"]
