"""The feed's `unread_count` and `?unread=true`."""

from __future__ import annotations

from api.extensions import db
from api.notifications.service import notify
from tests.conftest import auth
from tests.factories import UserFactory, couple_id_of


def _feed(client, query: str = "") -> dict:
    response = client.get(f"/v1/notifications{query}", headers=auth("alex"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_unread_count_and_unread_filter(client):
    alex = UserFactory(uid="alex")
    other = UserFactory(uid="sam")
    ids = []
    for n in range(5):
        ids.append(
            notify(
                db.session,
                recipient_id=alex.id,
                couple_id=couple_id_of(alex),
                category="affirmation",
                title="Hearth",
                body=f"note {n}",
                dedupe_key=f"feed-{n}",
            )
        )
    notify(
        db.session,
        recipient_id=other.id,
        couple_id=couple_id_of(other),
        category="affirmation",
        title="Hearth",
        body="not Alex's",
        dedupe_key="feed-other",
    )
    db.session.commit()

    everything = _feed(client, "?limit=2")
    assert everything["unread_count"] == 5
    assert len(everything["items"]) == 2

    read = client.post("/v1/notifications/read", json={"up_to_id": ids[2]}, headers=auth("alex"))
    assert read.status_code == 204

    unread = _feed(client, "?unread=true")
    assert unread["unread_count"] == 2
    assert [n["id"] for n in unread["items"]] == [ids[4], ids[3]]
    assert all(n["read_at"] is None for n in unread["items"])

    page = _feed(client, "?unread=true&limit=1")
    assert [n["id"] for n in page["items"]] == [ids[4]]
    rest = _feed(client, f"?unread=true&limit=1&cursor={page['next_cursor']}")
    assert [n["id"] for n in rest["items"]] == [ids[3]]
    assert rest["next_cursor"] is None and rest["unread_count"] == 2

    everything = _feed(client)
    assert len(everything["items"]) == 5 and everything["unread_count"] == 2


def test_unread_must_be_a_boolean(client):
    UserFactory(uid="alex")
    response = client.get("/v1/notifications?unread=maybe", headers=auth("alex"))
    assert response.status_code == 422
    assert "unread" in response.get_json()["errors"]
