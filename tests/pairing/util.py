"""Small HTTP helpers shared by the pairing tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import auth


def invite(client: FlaskClient, uid: str) -> str:
    """uid's new invite code, as shown (XXXX-XXXX)."""
    response = client.post("/v1/invites", headers=auth(uid))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def pair(client: FlaskClient, inviter: str, joiner: str) -> dict[str, Any]:
    """Pair two users through the API; the couple as POST /v1/couple answers it."""
    response = client.post(
        "/v1/couple", json={"code": invite(client, inviter)}, headers=auth(joiner)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def me(client: FlaskClient, uid: str) -> dict[str, Any]:
    return client.get("/v1/me", headers=auth(uid)).get_json()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; its body."""
    assert response.status_code == status, (response.status_code, response.get_json())
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body
