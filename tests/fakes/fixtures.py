"""Pytest fixtures around the fake Google server; import them into a conftest.py."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.google import FakeGoogle

_app_names = itertools.count(1)
SENDER_NOW = datetime(2026, 3, 29, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def _fake_google_server() -> Iterator[FakeGoogle]:
    fake = FakeGoogle().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_google(_fake_google_server: FakeGoogle) -> Iterator[FakeGoogle]:
    """The fake FCM / OAuth / certificate server, with nothing recorded or scripted."""
    _fake_google_server.reset()
    yield _fake_google_server
    _fake_google_server.reset()


@pytest.fixture
def service_account_file(fake_google: FakeGoogle, tmp_path: Path) -> Path:
    """A service-account JSON whose token_uri is the fake's, for GOOGLE_APPLICATION_CREDENTIALS."""
    return fake_google.write_service_account(tmp_path / "service-account.json")


@pytest.fixture
def firebase_sender(fake_google: FakeGoogle, service_account_file: Path) -> Iterator[object]:
    """A FirebaseSender talking to the fake server, with a firebase App of its own."""
    import firebase_admin

    from workers.push import FirebaseSender

    sender = FirebaseSender(
        credentials_path=str(service_account_file),
        endpoint=fake_google.fcm_endpoint,
        timeout_seconds=5,
        app_name=f"hearth-push-test-{next(_app_names)}",
        clock=lambda: SENDER_NOW,
    )
    yield sender
    if sender._app is not None:
        firebase_admin.delete_app(sender._app)


@pytest.fixture
def firebase_auth_app(fake_google: FakeGoogle, service_account_file: Path) -> Iterator[object]:
    """A firebase App whose verify_id_token fetches certificates from the fake server."""
    import firebase_admin
    from firebase_admin import auth, credentials

    app = firebase_admin.initialize_app(
        credentials.Certificate(str(service_account_file)),
        {"projectId": fake_google.project_id, "httpTimeout": 5},
        name=f"hearth-auth-test-{next(_app_names)}",
    )
    # The same hook api/auth.py uses for Config.FIREBASE_CERT_URL.
    auth._get_client(app)._token_verifier.id_token_verifier.cert_url = fake_google.cert_url
    yield app
    firebase_admin.delete_app(app)
