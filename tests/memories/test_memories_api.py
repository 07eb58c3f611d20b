"""The memories timeline through HTTP: create with replay, list, get, edit, delete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask.testing import FlaskClient

from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory
from tests.memories.conftest import Couple, new_memory

# 10:00 in Berlin on a Wednesday.
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_create_answers_201_and_a_replay_answers_200_with_the_original(
    client: FlaskClient, pair: Couple, clock: object
) -> None:
    clock.set(NOW)  # type: ignore[attr-defined]
    body = {
        "title": "  The lake at dawn ",
        "happened_on": "2023-07-14",
        "text": "We swam before breakfast.",
        "client_id": str(uuid.uuid4()),
    }
    first = client.post("/v1/couple/memories", json=body, headers=auth("alex"))
    assert first.status_code == 201
    memory = first.get_json()
    assert memory["title"] == "The lake at dawn"  # trimmed
    assert memory["happened_on"] == "2023-07-14"
    assert memory["author_id"] == pair.alex
    assert memory["photos"] == []
    assert memory["created_at"] == "2026-03-04T09:00:00Z"
    again = client.post("/v1/couple/memories", json=body, headers=auth("alex"))
    assert again.status_code == 200
    assert again.get_json() == memory
    # The partner reusing the client_id is not a replay.
    taken = client.post("/v1/couple/memories", json=body, headers=auth("sam"))
    assert taken.status_code == 409
    listed = client.get("/v1/couple/memories", headers=auth("sam")).get_json()
    assert [m["id"] for m in listed["items"]] == [memory["id"]]


def test_happened_on_may_not_be_in_the_couples_future(client: FlaskClient, clock: object) -> None:
    """Auckland is already on 5 March while UTC (and Berlin) are still on the 4th."""
    CoupleFactory(a=UserFactory(uid="kiri"), b=UserFactory(uid="ana"), timezone="Pacific/Auckland")
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # 01:00 on 5 March in Auckland
    today = new_memory(client, "kiri", happened_on="2026-03-05")
    assert today["happened_on"] == "2026-03-05"
    future = client.post(
        "/v1/couple/memories",
        json={"title": "Soon", "happened_on": "2026-03-06", "client_id": str(uuid.uuid4())},
        headers=auth("kiri"),
    )
    assert future.status_code == 422
    assert "happened_on" in future.get_json()["errors"]


def test_validation_of_fields(client: FlaskClient, pair: Couple, clock: object) -> None:
    clock.set(NOW)  # type: ignore[attr-defined]
    base = {"title": "x", "happened_on": "2024-01-01", "client_id": str(uuid.uuid4())}
    for change, field in (
        ({"title": "   "}, "title"),
        ({"title": "t" * 121}, "title"),
        ({"text": "t" * 5001}, "text"),
        ({"happened_on": "2024-02-30"}, "happened_on"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"author_id": 1}, "author_id"),  # read-only: no mass assignment
    ):
        response = client.post("/v1/couple/memories", json={**base, **change}, headers=auth("alex"))
        assert response.status_code == 422, change
        assert field in response.get_json()["errors"], (change, response.get_json())
    ok = client.post(
        "/v1/couple/memories",
        json={**base, "text": "t" * 5000, "title": "t" * 120},
        headers=auth("alex"),
    )
    assert ok.status_code == 201


def test_the_list_is_by_happened_on_newest_first_with_a_cursor(
    client: FlaskClient, pair: Couple, clock: object
) -> None:
    clock.set(NOW)  # type: ignore[attr-defined]
    days = ["2020-05-01", "2025-12-24", "2023-02-28", "2025-12-24", "2019-01-01"]
    made = [
        new_memory(client, "alex", happened_on=day, title=f"m{i}") for i, day in enumerate(days)
    ]
    seen: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/v1/couple/memories{query}", headers=auth("sam")).get_json()
        seen.extend((m["happened_on"], m["id"]) for m in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    expected = sorted(((m["happened_on"], m["id"]) for m in made), reverse=True)
    assert seen == expected
    bad = client.get("/v1/couple/memories?cursor=garbage", headers=auth("alex"))
    assert bad.status_code == 422
    assert "cursor" in bad.get_json()["errors"]


def test_either_partner_edits_only_the_author_deletes(
    client: FlaskClient, pair: Couple, clock: object
) -> None:
    clock.set(NOW)  # type: ignore[attr-defined]
    memory = new_memory(client, "alex")
    path = f"/v1/couple/memories/{memory['id']}"
    clock.advance(minutes=5)  # type: ignore[attr-defined]
    edited = client.patch(
        path, json={"title": "Our first real trip", "text": None}, headers=auth("sam")
    )
    assert edited.status_code == 200
    assert edited.get_json()["title"] == "Our first real trip"
    assert edited.get_json()["updated_at"] == "2026-03-04T09:05:00Z"
    future = client.patch(path, json={"happened_on": "2026-03-05"}, headers=auth("sam"))
    assert future.status_code == 422
    assert client.patch(path, json={}, headers=auth("sam")).status_code == 422
    assert client.get(path, headers=auth("sam")).get_json()["title"] == "Our first real trip"
    # Only the author deletes: the partner gets 403, and the memory stays.
    refused = client.delete(path, headers=auth("sam"))
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert client.get(path, headers=auth("alex")).status_code == 200
    assert client.delete(path, headers=auth("alex")).status_code == 204
    assert client.get(path, headers=auth("alex")).status_code == 404


def test_another_couple_and_the_unpaired_get_404(
    client: FlaskClient, pair: Couple, clock: object
) -> None:
    clock.set(NOW)  # type: ignore[attr-defined]
    memory = new_memory(client, "alex")
    CoupleFactory(a=UserFactory(uid="bo"), b=UserFactory(uid="cy"))
    UserFactory(uid="single")
    path = f"/v1/couple/memories/{memory['id']}"
    for uid in ("bo", "single"):
        assert client.get(path, headers=auth(uid)).status_code == 404
        assert client.delete(path, headers=auth(uid)).status_code == 404
        assert client.patch(path, json={"title": "x"}, headers=auth(uid)).status_code == 404
    assert client.get("/v1/couple/memories", headers=auth("bo")).get_json()["items"] == []
    assert client.get("/v1/couple/memories", headers=auth("single")).status_code == 404


def test_user_text_never_reaches_an_error_body(
    client: FlaskClient, pair: Couple, clock: object
) -> None:
    clock.set(NOW)  # type: ignore[attr-defined]
    secret = "our secret place by the old mill"
    response = client.post(
        "/v1/couple/memories",
        json={"title": secret, "happened_on": "2030-01-01", "client_id": str(uuid.uuid4())},
        headers=auth("alex"),
    )
    assert response.status_code == 422
    assert secret not in response.get_data(as_text=True)
