"""At most 10 join attempts per user per hour, then 429 problem+json with Retry-After."""

from __future__ import annotations

from tests.conftest import auth
from tests.pairing.util import assert_problem, invite, me


def attempt(client, uid, code="ZZZZ-ZZZZ"):
    return client.post("/v1/couple", json={"code": code}, headers=auth(uid))


def test_the_eleventh_attempt_in_an_hour_is_429_with_retry_after(client):
    good = invite(client, "alex")
    for n in range(10):
        response = attempt(client, "sam")
        assert response.status_code == 404, n
        assert response.headers["X-RateLimit-Remaining"] == str(9 - n)
    response = attempt(client, "sam", good)  # even a good code: the limit comes first
    body = assert_problem(response, 429)
    assert body["title"] == "Too Many Requests"
    assert "10" in body["detail"]
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 3600
    assert me(client, "sam")["couple_id"] is None


def test_malformed_attempts_count_too(client):
    for _ in range(10):
        assert attempt(client, "sam", code="").status_code == 422
    assert_problem(attempt(client, "sam"), 429)


def test_the_limit_is_per_user(client):
    for _ in range(10):
        attempt(client, "sam")
    assert_problem(attempt(client, "sam"), 429)
    assert attempt(client, "kim").status_code == 404
    # Other endpoints are not limited for sam.
    assert client.get("/v1/me", headers=auth("sam")).status_code == 200
    assert client.post("/v1/invites", headers=auth("sam")).status_code == 201


def test_the_limit_survives_erasing_the_account(client):
    for _ in range(10):
        attempt(client, "sam")
    assert client.delete("/v1/me", headers=auth("sam")).status_code == 204
    assert_problem(attempt(client, "sam"), 429)


def test_unauthenticated_attempts_are_401_not_counted(client):
    for _ in range(12):
        assert_problem(client.post("/v1/couple", json={"code": "ZZZZ-ZZZZ"}), 401)
    assert attempt(client, "sam").status_code == 404


def test_each_app_counts_in_its_own_storage(client, make_app):
    """Another app bound to the shared limiter (here: with Redis down) changes nothing here."""
    other = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert other.extensions["hearth_rate_limits"]["storage"] is not None
    for _ in range(10):
        assert attempt(client, "sam").status_code == 404
    assert_problem(attempt(client, "sam"), 429)


def test_rate_limits_can_be_switched_off_per_app(client, make_app):
    relaxed = make_app(RATELIMIT_ENABLED=False).test_client()
    for _ in range(12):
        assert attempt(relaxed, "sam").status_code == 404
    # ...and the shared app still limits.
    for _ in range(10):
        attempt(client, "kim")
    assert_problem(attempt(client, "kim"), 429)
