"""Item 11: FIREBASE_CHECK_REVOKED=true also checks that the ID token was not revoked and the
account is not disabled (verify_id_token(check_revoked=True)), remembering a verified token
for REVOCATION_CACHE_SECONDS.

The account lookup this needs (Identity Toolkit accounts:lookup) is served by the fake Google
server in tests/fakes. Off by default: a revoked token works until it expires (one hour).
"""

from __future__ import annotations

import time

import pytest

from api import auth as auth_module


@pytest.fixture(autouse=True)
def _forget_checked_tokens():
    auth_module._checked.clear()
    yield
    auth_module._checked.clear()


def _app(make_app, firebase_config, fake_google, **overrides):
    settings = {
        name: getattr(firebase_config, name)
        for name in (
            "AUTH_MODE",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "FIREBASE_PROJECT_ID",
            "FIREBASE_CERT_URL",
            "FCM_TIMEOUT_SECONDS",
        )
    }
    return make_app(**settings, FIREBASE_AUTH_URL=fake_google.auth_url, **overrides).test_client()


def _me(client, token):
    return client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_off_by_default_a_revoked_token_still_works(make_app, firebase_config, fake_google):
    client = _app(make_app, firebase_config, fake_google)
    token = fake_google.mint_id_token("rev-off")
    fake_google.revoke_refresh_tokens("rev-off", at=time.time())
    assert _me(client, token).status_code == 200
    assert fake_google.account_lookups == 0


def test_a_revoked_token_is_401_once_checked(make_app, firebase_config, fake_google):
    client = _app(
        make_app,
        firebase_config,
        fake_google,
        FIREBASE_CHECK_REVOKED=True,
        REVOCATION_CACHE_SECONDS=0,
    )
    token = fake_google.mint_id_token("rev-on")
    assert _me(client, token).status_code == 200
    fake_google.revoke_refresh_tokens("rev-on", at=time.time() - 5)
    response = _me(client, token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    # A token issued after the revocation is good.
    fresh = fake_google.mint_id_token("rev-on", iat=time.time())
    assert _me(client, fresh).status_code == 200


def test_a_disabled_or_deleted_account_is_401(make_app, firebase_config, fake_google):
    client = _app(
        make_app,
        firebase_config,
        fake_google,
        FIREBASE_CHECK_REVOKED=True,
        REVOCATION_CACHE_SECONDS=0,
    )
    disabled, deleted = fake_google.mint_id_token("dis"), fake_google.mint_id_token("del")
    fake_google.disable_account("dis")
    fake_google.deleted_accounts.add("del")
    assert _me(client, disabled).status_code == 401
    assert _me(client, deleted).status_code == 401


def test_one_lookup_per_token_within_the_cache_time(make_app, firebase_config, fake_google):
    client = _app(
        make_app,
        firebase_config,
        fake_google,
        FIREBASE_CHECK_REVOKED=True,
        REVOCATION_CACHE_SECONDS=60,
    )
    token = fake_google.mint_id_token("cached")
    for _ in range(5):
        assert _me(client, token).status_code == 200
    assert fake_google.account_lookups == 1
    # A revocation takes effect when the remembered answer expires (at most 60 s here).
    fake_google.revoke_refresh_tokens("cached", at=time.time() - 5)
    assert _me(client, token).status_code == 200
    auth_module._checked.clear()  # as if 60 s had passed
    assert _me(client, token).status_code == 401


def test_lookup_unavailable_is_503_not_500(make_app, firebase_config, fake_google):
    client = _app(
        make_app,
        firebase_config,
        fake_google,
        FIREBASE_CHECK_REVOKED=True,
        REVOCATION_CACHE_SECONDS=0,
    )
    token = fake_google.mint_id_token("down")
    fake_google.fail_token_endpoint = "OAuth is down"  # no access token: the lookup fails
    response = _me(client, token)
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
