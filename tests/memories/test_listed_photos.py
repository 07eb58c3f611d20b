"""A memory's listed photos, folded into the memory's SELECT (a JSON column): the same photos,
order and instants as the relationship loaded them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from api.extensions import db
from api.memories.models import PHOTO_PENDING, PHOTO_READY, MemoryPhoto
from tests.conftest import auth
from tests.memories.conftest import Couple, new_memory

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_ready_photos_by_id_with_their_instants(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(NOW)
    memory = new_memory(client)
    bare = new_memory(client, title="Nothing to show")
    # Keys and instants in the opposite order of the ids: the list is by id.
    made = [
        (PHOTO_READY, "z", NOW - timedelta(seconds=1, microseconds=5)),
        (PHOTO_PENDING, "y", NOW - timedelta(seconds=2)),
        (PHOTO_READY, "x", NOW - timedelta(days=3, microseconds=120000)),
        (PHOTO_READY, "w", NOW - timedelta(days=400)),
    ]
    photos = [
        MemoryPhoto(
            memory_id=memory["id"],
            key=f"memories/{pair.id}/{memory['id']}/{key}",
            content_type="image/png",
            size_bytes=100 + i,
            status=status,
            created_at=created,
        )
        for i, (status, key, created) in enumerate(made)
    ]
    db.session.add_all(photos)
    db.session.commit()
    ready = [p for p in photos if p.status == PHOTO_READY]
    expected = [
        (p.id, "image/png", p.size_bytes, p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for p in ready
    ]

    def listed(body: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (p["id"], p["content_type"], p["size_bytes"], p["created_at"]) for p in body["photos"]
        ]

    one = client.get(f"/v1/couple/memories/{memory['id']}", headers=auth("sam")).get_json()
    assert listed(one) == expected
    assert all(p["url"] and p["url_expires_at"] for p in one["photos"])
    page = client.get("/v1/couple/memories", headers=auth("alex")).get_json()
    by_id = {item["id"]: item for item in page["items"]}
    assert listed(by_id[memory["id"]]) == expected
    assert by_id[bare["id"]]["photos"] == []
