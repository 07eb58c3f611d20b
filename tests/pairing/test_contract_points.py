"""Pairing's contract points: GET /v1/invites/current, Retry-After only on a 429, bare 204s."""

from __future__ import annotations

from tests.conftest import auth
from tests.pairing.util import assert_problem, invite, pair


def test_current_invite_reads_back_the_live_code(client, clock):
    assert_problem(client.get("/v1/invites/current", headers=auth("alex")), 404)
    code = invite(client, "alex")
    response = client.get("/v1/invites/current", headers=auth("alex"))
    assert response.status_code == 200
    assert response.get_json()["code"] == code
    # A new invite revokes the old: the current one is the new code.
    newer = invite(client, "alex")
    assert client.get("/v1/invites/current", headers=auth("alex")).get_json()["code"] == newer


def test_current_invite_is_404_once_revoked_used_or_expired(client, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    invite(client, "alex")
    assert client.delete("/v1/invites/current", headers=auth("alex")).status_code == 204
    assert_problem(client.get("/v1/invites/current", headers=auth("alex")), 404)

    invite(client, "alex")
    clock.advance(hours=24, seconds=1)
    assert_problem(client.get("/v1/invites/current", headers=auth("alex")), 404)

    clock.advance(seconds=1)
    pair(client, "alex", "sam")
    assert_problem(client.get("/v1/invites/current", headers=auth("alex")), 404)


def test_retry_after_only_on_the_429(client):
    code = invite(client, "alex")
    joined = client.post("/v1/couple", json={"code": code}, headers=auth("sam"))
    assert joined.status_code == 201
    assert "Retry-After" not in joined.headers
    for _ in range(10):
        wrong = client.post("/v1/couple", json={"code": "AAAA-AAAA"}, headers=auth("kim"))
        assert wrong.status_code == 404
        assert "Retry-After" not in wrong.headers
    limited = client.post("/v1/couple", json={"code": "AAAA-AAAA"}, headers=auth("kim"))
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0


def test_no_content_answers_carry_no_content_type(client):
    invite(client, "alex")
    response = client.delete("/v1/invites/current", headers=auth("alex"))
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert response.headers.get("Content-Length") in (None, "0")
