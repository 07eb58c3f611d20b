"""GET and PATCH /v1/couple, and the authorization pattern on the couple's endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from api.extensions import db
from api.pairing.models import Couple
from tests.authz import assert_other_couple_gets_404
from tests.conftest import auth
from tests.pairing.util import assert_problem, pair


def couple_row(couple_id):
    """The couple's row as plain values (a snapshot that sees what the API does not show)."""
    db.session.expire_all()
    row = db.session.get(Couple, couple_id)
    return {c.name: getattr(row, c.name) for c in Couple.__table__.columns}


def test_not_paired_is_404_problem(client):
    body = assert_problem(client.get("/v1/couple", headers=auth("kim")), 404)
    assert body["title"] == "Not paired"
    assert_problem(client.patch("/v1/couple", json={}, headers=auth("kim")), 404)
    assert_problem(client.delete("/v1/couple", headers=auth("kim")), 404)


def test_both_partners_see_the_same_couple(client):
    couple = pair(client, "alex", "sam")
    assert client.get("/v1/couple", headers=auth("alex")).get_json() == couple
    assert client.get("/v1/couple", headers=auth("sam")).get_json() == couple


def test_patch_updates_the_three_fields_for_both(client):
    pair(client, "alex", "sam")
    response = client.patch(
        "/v1/couple",
        json={
            "anniversary": "2019-06-21",
            "timezone": "America/Sao_Paulo",
            "day_starts_at": "05:30",
        },
        headers=auth("sam"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["anniversary"] == "2019-06-21"
    assert body["timezone"] == "America/Sao_Paulo"
    assert body["day_starts_at"] == "05:30"
    assert client.get("/v1/couple", headers=auth("alex")).get_json() == body
    # Partial: one field at a time; null clears the anniversary.
    body = client.patch("/v1/couple", json={"anniversary": None}, headers=auth("alex")).get_json()
    assert body["anniversary"] is None
    assert body["timezone"] == "America/Sao_Paulo"
    assert client.patch("/v1/couple", json={}, headers=auth("alex")).get_json() == body


def test_bad_patch_is_422_and_changes_nothing(client):
    couple = pair(client, "alex", "sam")
    before = couple_row(couple["id"])
    cases = [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "utc+2"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"timezone": "Factory"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"day_starts_at": "4:00"}, "day_starts_at"),
        ({"day_starts_at": "24:00"}, "day_starts_at"),
        ({"day_starts_at": None}, "day_starts_at"),
        ({"anniversary": "2020-13-01"}, "anniversary"),
        ({"anniversary": "21/06/2019"}, "anniversary"),
        ({"id": 99}, "id"),
        ({"partners": []}, "partners"),
        ({"paired_at": "2020-01-01T00:00:00Z"}, "paired_at"),
        ({"unpaired_at": "2020-01-01T00:00:00Z"}, "unpaired_at"),
        ({"user_a_id": 1}, "user_a_id"),
        ({"timezone": "Europe/Paris", "colour": "red"}, "colour"),
    ]
    for payload, field in cases:
        response = client.patch("/v1/couple", json=payload, headers=auth("alex"))
        body = assert_problem(response, 422)
        assert field in body["errors"], (payload, body)
    assert couple_row(couple["id"]) == before


def test_the_couple_comes_from_the_token_not_the_request(client):
    a = pair(client, "alex", "sam")
    b = pair(client, "bo", "cy")
    before = couple_row(a["id"])
    # bo's PATCH changes bo's couple, whatever id it sends; there is no /v1/couples/{id}.
    assert client.patch("/v1/couple", json={"id": a["id"]}, headers=auth("bo")).status_code == 422
    response = client.patch("/v1/couple", json={"timezone": "Asia/Kolkata"}, headers=auth("bo"))
    assert response.get_json()["id"] == b["id"]
    assert couple_row(a["id"]) == before
    assert_problem(client.get(f"/v1/couples/{a['id']}", headers=auth("bo")), 404)
    assert_problem(client.get(f"/v1/couple/{a['id']}", headers=auth("bo")), 404)


def test_strangers_get_404_on_the_couple_endpoints_and_change_nothing(client):
    a = pair(client, "alex", "sam")
    pair(client, "ex1", "ex2")
    client.delete("/v1/couple", headers=auth("ex1"))  # ex1 and ex2 are unpaired now
    client.get("/v1/me", headers=auth("single"))
    strangers = [auth("single"), auth("ex1"), auth("ex2")]

    def snapshot():
        return (
            client.get("/v1/couple", headers=auth("alex")).get_json(),
            couple_row(a["id"]),
        )

    for method, json, owner_status in (
        ("GET", None, 200),
        ("PATCH", {"timezone": "Asia/Kolkata"}, 200),
        ("DELETE", None, 204),  # last: the owner's DELETE unpairs couple A
    ):
        assert_other_couple_gets_404(
            client,
            method,
            "/v1/couple",
            json=json,
            owner_headers=auth("alex"),
            stranger_headers=strangers,
            snapshot=snapshot,
            owner_status=owner_status,
        )


def test_another_couples_gratitude_entry_is_404_and_untouched(client):
    """The helper on an id path: couple B deleting couple A's gratitude entry."""
    pair(client, "alex", "sam")
    pair(client, "bo", "cy")
    created = client.post(
        "/v1/couple/gratitude",
        json={"text": "You make the coffee", "client_id": str(uuid.uuid4())},
        headers=auth("alex"),
    )
    assert created.status_code == 201, created.get_json()
    entry_id = created.get_json()["id"]
    client.get("/v1/me", headers=auth("single"))

    def snapshot():
        return client.get("/v1/couple/gratitude", headers=auth("sam")).get_json()

    assert_other_couple_gets_404(
        client,
        "DELETE",
        f"/v1/couple/gratitude/{entry_id}",
        owner_headers=auth("alex"),
        stranger_headers=[auth("bo"), auth("cy"), auth("single")],
        snapshot=snapshot,
        missing_path="/v1/couple/gratitude/999999999",
        owner_status=204,
    )
    assert snapshot()["items"] == []


def test_one_active_couple_row_per_person(client):
    pair(client, "alex", "sam")
    client.delete("/v1/couple", headers=auth("sam"))
    pair(client, "alex", "sam")
    rows = db.session.scalars(select(Couple).order_by(Couple.id)).all()
    assert [r.unpaired_at is None for r in rows] == [False, True]


def test_an_anniversary_in_the_couples_future_is_422_and_changes_nothing(client, clock):
    """API.md is silent; the years together count from the anniversary, so it is a day the
    couple has reached: today on their wall clock (Auckland is already on 5 March) at most."""
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # 01:00 on 5 March in Auckland
    couple = pair(client, "kiri", "ana")
    client.patch("/v1/couple", json={"timezone": "Pacific/Auckland"}, headers=auth("kiri"))
    before = couple_row(couple["id"])
    for day in ("2999-01-01", "2026-03-06"):
        response = client.patch("/v1/couple", json={"anniversary": day}, headers=auth("kiri"))
        body = assert_problem(response, 422)
        assert body["errors"] == {"anniversary": ["An anniversary cannot be in the future."]}
    assert couple_row(couple["id"]) == before
    today = client.patch("/v1/couple", json={"anniversary": "2026-03-05"}, headers=auth("kiri"))
    assert today.status_code == 200
    assert today.get_json()["anniversary"] == "2026-03-05"


def test_a_future_anniversary_is_refused_in_the_readers_language(client, clock):
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    pair(client, "lucia", "mateo")
    client.patch("/v1/me", json={"locale": "es"}, headers=auth("lucia"))
    response = client.patch("/v1/couple", json={"anniversary": "2026-03-05"}, headers=auth("lucia"))
    body = assert_problem(response, 422)
    assert body["errors"] == {"anniversary": ["Un aniversario no puede estar en el futuro."]}
