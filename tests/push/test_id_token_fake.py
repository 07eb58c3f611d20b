"""The fake's ID tokens and certificates, checked by firebase_admin.auth.verify_id_token itself."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from firebase_admin import auth

from api import firebase
from tests.fakes.google import FakeGoogle


@pytest.fixture
def firebase_auth_app(firebase_config):
    """The process's firebase App for the test config (certificates from the fake)."""
    return firebase.get_app(firebase_config)


def test_valid_token_verifies(fake_google: FakeGoogle, firebase_auth_app: object) -> None:
    token = fake_google.mint_id_token("alex-uid")

    claims = auth.verify_id_token(token, app=firebase_auth_app)

    assert claims["uid"] == "alex-uid"
    assert fake_google.cert_fetches == 1


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("mint", "error", "words"),
    [
        (
            lambda f, t: f.mint_id_token("u", exp=t - 5, iat=t - 3605),
            auth.ExpiredIdTokenError,
            "expired",
        ),
        (lambda f, t: f.mint_id_token("u", aud="other-project"), auth.InvalidIdTokenError, '"aud"'),
        (
            lambda f, t: f.mint_id_token("u", iss="https://securetoken.google.com/other"),
            auth.InvalidIdTokenError,
            '"iss"',
        ),
        (
            lambda f, t: f.mint_id_token("u", key=_other_key()),
            auth.InvalidIdTokenError,
            "signature",
        ),
        (lambda f, t: f.mint_id_token("u", kid=None), auth.InvalidIdTokenError, '"kid"'),
        (
            lambda f, t: f.mint_id_token("u", kid="rotated-away"),
            auth.InvalidIdTokenError,
            "rotated-away",
        ),
        (lambda f, t: f.mint_id_token("u", iat=t + 600), auth.InvalidIdTokenError, "too early"),
        (lambda f, t: f.mint_id_token("u", sub=""), auth.InvalidIdTokenError, "sub"),
    ],
    ids=[
        "expired",
        "wrong-aud",
        "wrong-iss",
        "wrong-signature",
        "no-kid",
        "unknown-kid",
        "future-iat",
        "empty-sub",
    ],
)
def test_bad_tokens_are_refused(
    fake_google: FakeGoogle, firebase_auth_app: object, mint, error, words: str
) -> None:
    # google-auth checks iat/exp against the real time, so tokens are minted around it.
    token = mint(fake_google, time.time())

    with pytest.raises(error) as caught:
        auth.verify_id_token(token, app=firebase_auth_app)

    assert words in str(caught.value).lower() or words in str(caught.value)
