"""POST /v1/couple: redeeming an invite code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from api.pairing.models import Couple
from tests.conftest import auth
from tests.factories import DeviceFactory
from tests.pairing.util import assert_problem, invite, me, pair

T0 = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


def join(client, uid, code):
    return client.post("/v1/couple", json={"code": code}, headers=auth(uid))


def test_join_makes_a_couple_with_the_defaults(client, clock):
    clock.set(T0)
    client.patch(
        "/v1/me", json={"display_name": "Alex", "timezone": "Asia/Tokyo"}, headers=auth("alex")
    )
    client.patch(
        "/v1/me", json={"display_name": "Sam", "timezone": "Europe/Berlin"}, headers=auth("sam")
    )
    code = invite(client, "alex")
    clock.advance(minutes=5)
    response = join(client, "sam", code)
    assert response.status_code == 201
    couple = response.get_json()
    alex, sam = me(client, "alex"), me(client, "sam")
    assert couple == {
        "id": couple["id"],
        "partners": [
            {"id": alex["id"], "display_name": "Alex", "timezone": "Asia/Tokyo"},
            {"id": sam["id"], "display_name": "Sam", "timezone": "Europe/Berlin"},
        ],
        "paired_at": "2026-03-28T12:05:00Z",
        "anniversary": None,
        "timezone": "Asia/Tokyo",  # the inviter's
        "day_starts_at": "04:00",
        "question_time": "19:00",
    }
    assert alex["couple_id"] == sam["couple_id"] == couple["id"]
    assert client.get("/v1/couple", headers=auth("alex")).get_json() == couple


def test_the_inviter_gets_a_push_and_the_joiner_none(client, run_jobs):
    client.patch("/v1/me", json={"display_name": "Sam"}, headers=auth("sam"))
    code = invite(client, "alex")
    DeviceFactory(user_id=me(client, "alex")["id"], token="alex-phone-" + "x" * 140)
    couple = join(client, "sam", code).get_json()
    assert run_jobs() == 1
    feed = client.get("/v1/notifications", headers=auth("alex")).get_json()["items"]
    assert len(feed) == 1
    assert feed[0]["category"] == "pairing"
    assert "Sam" in feed[0]["body"]
    row = db.session.scalars(select(Notification)).one()
    assert row.status == "sent"
    assert row.data == {"event": "paired", "couple_id": str(couple["id"])}
    assert client.get("/v1/notifications", headers=auth("sam")).get_json()["items"] == []


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c,  # as shown
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: c.lower().replace("-", ""),
        lambda c: c[:2].lower() + c[2:],
        lambda c: f"  {c[:4]} {c[5:]}  ",
    ],
)
def test_code_in_any_case_with_or_without_the_dash(client, typed):
    code = invite(client, "alex")
    assert join(client, "sam", typed(code)).status_code == 201


def test_unknown_expired_used_revoked_and_malformed_codes_answer_the_same_404(client, clock):
    clock.set(T0)
    expired = invite(client, "inviter1")
    clock.advance(hours=24)
    used = invite(client, "inviter2")
    assert join(client, "someone", used).status_code == 201
    revoked = invite(client, "inviter3")
    client.delete("/v1/invites/current", headers=auth("inviter3"))
    replaced = invite(client, "inviter4")
    invite(client, "inviter4")
    live = invite(client, "inviter5")
    unknown = "ABCD-EFGH" if live != "ABCD-EFGH" else "HGFE-DCBA"
    bodies = {}
    for kind, code in {
        "unknown": unknown,
        "expired": expired,
        "used": used,
        "revoked": revoked,
        "replaced": replaced,
        "malformed": "not a code",
        "too short": "ABC",
    }.items():
        bodies[kind] = assert_problem(join(client, "sam", code), 404)
    first = bodies["unknown"]
    assert first["title"] == "Invite not found"
    for kind, body in bodies.items():
        assert body == first, kind
    assert me(client, "sam")["couple_id"] is None
    assert join(client, "sam", live).status_code == 201  # 8 attempts: under the limit


def test_own_code_is_422(client):
    code = invite(client, "alex")
    body = assert_problem(join(client, "alex", code), 422)
    assert "code" in body["errors"]
    assert me(client, "alex")["couple_id"] is None
    # The invite is still good for the partner.
    assert join(client, "sam", code).status_code == 201


def test_joiner_already_paired_is_409(client):
    pair(client, "alex", "sam")
    code = invite(client, "kim")
    body = assert_problem(join(client, "sam", code), 409)
    assert body["title"] == "Already paired"
    assert me(client, "kim")["couple_id"] is None
    assert join(client, "lee", code).status_code == 201  # kim's code was not used up


def test_the_code_of_an_inviter_who_paired_since_is_the_same_404_as_an_unknown_code(client):
    """Before: 409 "Already paired", which confirmed the code was real. After: the same 404."""
    code = invite(client, "alex")  # then alex pairs with someone else's code
    assert join(client, "alex", invite(client, "kim")).status_code == 201
    body = assert_problem(join(client, "sam", code), 404)
    unknown = assert_problem(join(client, "lee", "ZZZZ-ZZZZ"), 404)
    assert {k: body[k] for k in ("type", "title", "detail")} == {
        k: unknown[k] for k in ("type", "title", "detail")
    }
    assert me(client, "sam")["couple_id"] is None


def test_bad_bodies_are_422(client):
    for payload in (
        {},
        {"code": 12345678},
        {"code": ""},
        {"code": "x" * 33},
        {"code": "A", "x": 1},
    ):
        body = assert_problem(client.post("/v1/couple", json=payload, headers=auth("sam")), 422)
        assert body["errors"], payload


def test_one_couple_row_per_join(client):
    pair(client, "alex", "sam")
    couples = db.session.scalars(select(Couple)).all()
    assert len(couples) == 1
    assert couples[0].unpaired_at is None


def test_unpaired_people_can_join_again_with_a_new_code(client, clock):
    clock.set(T0)
    first = pair(client, "alex", "sam")
    clock.advance(minutes=1)
    assert client.delete("/v1/couple", headers=auth("alex")).status_code == 204
    second = pair(client, "sam", "alex")
    assert second["id"] != first["id"]
    assert [p["id"] for p in second["partners"]] == [
        me(client, "sam")["id"],
        me(client, "alex")["id"],
    ]
