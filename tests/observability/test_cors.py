"""CORS_ORIGINS: a browser client's preflight to /v1 gets the CORS answer, not a 401."""

from __future__ import annotations

import pytest

from api.config import Config, ConfigError
from tests.conftest import auth

WEB = "https://app.hearth.example"


def preflight(client, origin: str = WEB):
    return client.options(
        "/v1/me",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_preflight_from_an_allowed_origin_is_answered(make_app):
    client = make_app(CORS_ORIGINS=f"{WEB}, https://admin.hearth.example").test_client()

    response = preflight(client)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == WEB
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_actual_request_from_an_allowed_origin_exposes_headers(make_app):
    client = make_app(CORS_ORIGINS=WEB).test_client()

    response = client.get("/v1/me", headers={**auth("alex"), "Origin": WEB})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == WEB
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


def test_other_origins_and_the_default_get_no_cors_answer(make_app, client):
    allowed_elsewhere = make_app(CORS_ORIGINS=WEB).test_client()

    stranger = preflight(allowed_elsewhere, origin="https://evil.example")
    default = preflight(client)

    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert "Access-Control-Allow-Origin" not in default.headers
    assert default.status_code == 401  # no CORS_ORIGINS: /v1 stays token-only


def test_a_wildcard_origin_is_refused():
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        Config.from_env({"CORS_ORIGINS": "*"})
