"""AUTH_MODE=firebase through the HTTP API: ID tokens checked by verify_id_token for real.

The tokens are signed with the fake's test key; the verifier fetches its certificate from the
fake server (Config.FIREBASE_CERT_URL). google-auth checks iat/exp against the real time, so
tokens are minted around time.time(); no assertion is made on wall time.
"""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.google import FakeGoogle


@pytest.fixture
def client(firebase_app):
    return firebase_app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and body["title"] == "Unauthenticated"
    # The reason goes to the log, never to the caller.
    assert "aud" not in body.get("detail", "") and "kid" not in body.get("detail", "")


def test_valid_token_provisions_the_user_once(client, fake_google: FakeGoogle):
    token = fake_google.mint_id_token("firebase-uid-1")

    first = client.get("/v1/me", headers=bearer(token))
    second = client.get("/v1/me", headers=bearer(fake_google.mint_id_token("firebase-uid-1")))

    assert first.status_code == 200, first.get_json()
    assert first.get_json()["id"] == second.get_json()["id"]
    assert fake_google.cert_fetches == 1  # the certificate is cached (Cache-Control max-age)


def test_the_uid_comes_from_the_verified_token(client, fake_google: FakeGoogle):
    alex = client.get("/v1/me", headers=bearer(fake_google.mint_id_token("alex")))
    sam = client.get("/v1/me", headers=bearer(fake_google.mint_id_token("sam")))

    assert alex.get_json()["id"] != sam.get_json()["id"]


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


BAD_TOKENS = {
    "expired": lambda f, t: f.mint_id_token("u", iat=t - 7200, exp=t - 3600),
    "wrong-audience": lambda f, t: f.mint_id_token("u", aud="someone-elses-project"),
    "wrong-issuer": lambda f, t: f.mint_id_token(
        "u", iss="https://securetoken.google.com/someone-elses-project"
    ),
    "wrong-signature": lambda f, t: f.mint_id_token("u", key=_other_key()),
    "missing-kid": lambda f, t: f.mint_id_token("u", kid=None),
    "unknown-kid": lambda f, t: f.mint_id_token("u", kid="rotated-away"),
    "future-iat": lambda f, t: f.mint_id_token("u", iat=t + 600, exp=t + 4200),
    "empty-subject": lambda f, t: f.mint_id_token("u", sub=""),
    "dev-token": lambda f, t: "dev:u",
    "garbage": lambda f, t: "not-a-jwt",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_are_401(client, fake_google: FakeGoogle, case: str):
    token = BAD_TOKENS[case](fake_google, time.time())

    assert_401(client.get("/v1/me", headers=bearer(token)))


def test_tampered_claims_break_the_signature(client, fake_google: FakeGoogle):
    import base64
    import json

    header, payload, signature = fake_google.mint_id_token("alex").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = claims["user_id"] = "sam"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert_401(client.get("/v1/me", headers=bearer(f"{header}.{forged}.{signature}")))


def test_certificates_unreachable_is_503_not_401(make_app, firebase_config, fake_google):
    """Google's keys out of reach is our outage: the app should retry, not sign the user out."""
    from dataclasses import asdict

    overrides = {**asdict(firebase_config), "FIREBASE_CERT_URL": "http://127.0.0.1:1/certs"}
    app = make_app(**{k: v for k, v in overrides.items() if k != "APP_ENV"})
    response = app.test_client().get(
        "/v1/me", headers=bearer(fake_google.mint_id_token("firebase-uid-2"))
    )
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
