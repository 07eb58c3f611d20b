"""Finding 8: personal data is never cached nor sniffed, and a 401 names its scheme.

Before: no Cache-Control, no X-Content-Type-Options, a 401 without WWW-Authenticate (and the
dev server's banner named Werkzeug and Python: tests/hardening/test_real_server.py).
After: every /v1 answer (2xx, 4xx, 5xx alike) carries `Cache-Control: no-store` and `nosniff`;
a 401 carries `WWW-Authenticate: Bearer ...`.
"""

from __future__ import annotations

import pytest

from tests.conftest import auth


def _secure(response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/v1/me", auth("h"), 200),
        ("GET", "/v1/devices", auth("h"), 200),
        ("GET", "/v1/couple", auth("h"), 404),
        ("PATCH", "/v1/me", auth("h"), 422),
        ("PUT", "/v1/me", auth("h"), 405),
        ("GET", "/v1/me", {}, 401),
    ],
)
def test_every_v1_answer_is_no_store_and_nosniff(client, method, path, headers, status):
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == status
    _secure(response)


def test_a_500_is_no_store_too(make_app, monkeypatch):
    from api.users import service

    app = make_app()

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "to_dict", boom)
    response = app.test_client().get("/v1/me", headers=auth("h"))
    assert response.status_code == 500
    _secure(response)


def test_a_401_says_bearer(client):
    missing = client.get("/v1/me")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    bad = client.get("/v1/me", headers={"Authorization": "Bearer dev:"})
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_other_statuses_carry_no_www_authenticate(client):
    assert "WWW-Authenticate" not in client.get("/v1/me", headers=auth("h")).headers
