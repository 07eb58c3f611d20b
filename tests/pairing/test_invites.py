"""POST /v1/invites and DELETE /v1/invites/current."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.extensions import db
from api.pairing import service
from api.pairing.models import Invite
from tests.conftest import auth
from tests.factories import UserFactory
from tests.pairing.util import assert_problem, invite, pair

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
T0 = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


def test_invite_is_a_crockford_code_valid_24_hours(client, clock):
    clock.set(T0)
    response = client.post("/v1/invites", headers=auth("alex"))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"code", "expires_at"}
    assert CODE.fullmatch(body["code"]), body["code"]
    assert not set(body["code"]) & set("ILOU")
    assert body["expires_at"] == "2026-03-29T12:00:00Z"


def test_codes_come_from_the_secrets_module(client, monkeypatch):
    drawn = iter("7KQ4M2ZD")
    calls = []

    def fake_choice(alphabet):
        calls.append(alphabet)
        return next(drawn)

    monkeypatch.setattr(service.secrets, "choice", fake_choice)
    assert invite(client, "alex") == "7KQ4-M2ZD"
    assert calls == [service.ALPHABET] * 8
    assert service.ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_codes_differ(client):
    codes = {invite(client, f"user{i}") for i in range(30)}
    assert len(codes) == 30


def test_a_new_invite_revokes_the_old_one(client):
    old = invite(client, "alex")
    new = invite(client, "alex")
    assert old != new
    assert_problem(client.post("/v1/couple", json={"code": old}, headers=auth("sam")), 404)
    assert client.post("/v1/couple", json={"code": new}, headers=auth("sam")).status_code == 201
    live = db.session.scalars(
        select(Invite).where(Invite.used_at.is_(None), Invite.revoked_at.is_(None))
    ).all()
    assert live == []


def test_delete_current_revokes_and_is_idempotent(client):
    code = invite(client, "alex")
    assert client.delete("/v1/invites/current", headers=auth("alex")).status_code == 204
    assert_problem(client.post("/v1/couple", json={"code": code}, headers=auth("sam")), 404)
    assert client.delete("/v1/invites/current", headers=auth("alex")).status_code == 204
    # Someone without any invite may say it too.
    assert client.delete("/v1/invites/current", headers=auth("kim")).status_code == 204


def test_delete_current_touches_only_my_invite(client):
    mine = invite(client, "alex")
    theirs = invite(client, "kim")
    client.delete("/v1/invites/current", headers=auth("alex"))
    assert_problem(client.post("/v1/couple", json={"code": mine}, headers=auth("sam")), 404)
    assert client.post("/v1/couple", json={"code": theirs}, headers=auth("sam")).status_code == 201


def test_invite_when_already_paired_is_409(client):
    pair(client, "alex", "sam")
    for uid in ("alex", "sam"):
        body = assert_problem(client.post("/v1/invites", headers=auth(uid)), 409)
        assert body["title"] == "Already paired"


def test_invite_works_until_its_last_second(client, clock):
    clock.set(T0)
    code = invite(client, "alex")
    clock.set(T0 + timedelta(hours=24) - timedelta(seconds=1))
    assert client.post("/v1/couple", json={"code": code}, headers=auth("sam")).status_code == 201


def test_invite_is_dead_at_24_hours(client, clock):
    clock.set(T0)
    code = invite(client, "alex")
    clock.set(T0 + timedelta(hours=24))
    assert_problem(client.post("/v1/couple", json={"code": code}, headers=auth("sam")), 404)


def test_database_keeps_one_live_invite_per_user(client):
    invite(client, "alex")
    alex = db.session.scalars(select(Invite)).one()
    db.session.add(
        Invite(
            inviter_id=alex.inviter_id,
            code="ZZZZZZZZ",
            created_at=T0,
            expires_at=T0 + timedelta(days=1),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_allows_many_dead_invites(client):
    invite(client, "alex")
    alex = db.session.scalars(select(Invite)).one()
    for code in ("ZZZZZZZ1", "ZZZZZZZ2"):
        db.session.add(
            Invite(
                inviter_id=alex.inviter_id,
                code=code,
                created_at=T0,
                expires_at=T0 + timedelta(days=1),
                revoked_at=T0,
            )
        )
    db.session.commit()
    assert len(db.session.scalars(select(Invite)).all()) == 3


def test_dead_invites_are_purged_when_a_new_one_is_drawn(client):
    """Before: 200 new codes left 200 invite rows. After: only the live one stays."""
    for _ in range(5):
        invite(client, "alex")
    client.delete("/v1/invites/current", headers=auth("alex"))
    live = invite(client, "alex")
    rows = db.session.scalars(select(Invite)).all()
    assert [service.display_code(r.code) for r in rows] == [live]


def test_code_normalisation():
    assert service.normalise_code("7kq4-m2zd") == "7KQ4M2ZD"
    assert service.normalise_code(" 7KQ4 M2ZD ") == "7KQ4M2ZD"
    # Crockford: O reads as 0, I and L as 1.
    assert service.normalise_code("o1il-abcd") == "0111ABCD"
    assert service.normalise_code("7KQ4--M2ZD-") == "7KQ4M2ZD"
    for bad in ("", "-", "7KQ4-M2Z", "7KQ4-M2ZDX", "7KQ4-M2Z!", "UUUU-UUUU", "7KQ4_M2ZD"):
        assert service.normalise_code(bad) is None, bad


def test_user_factory_user_can_invite(client):
    user = UserFactory()
    assert client.post("/v1/invites", headers=auth(user.uid)).status_code == 201
