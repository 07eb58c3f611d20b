"""Pytest fixtures around the fake Google server (loaded by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from api.config import Config
from tests.fakes.google import FakeGoogle


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
def firebase_config(
    base_config: Config, fake_google: FakeGoogle, service_account_file: Path
) -> Config:
    """The test config with Firebase for real: auth and pushes against the fake server."""
    return replace(
        base_config,
        AUTH_MODE="firebase",
        PUSH_BACKEND="firebase",
        GOOGLE_APPLICATION_CREDENTIALS=str(service_account_file),
        FIREBASE_PROJECT_ID=fake_google.project_id,
        FCM_ENDPOINT=fake_google.fcm_endpoint,
        FIREBASE_CERT_URL=fake_google.cert_url,
        FCM_TIMEOUT_SECONDS=5.0,
    )


@pytest.fixture
def firebase_sender(firebase_config: Config) -> object:
    """A FirebaseSender talking to the fake server."""
    from workers.fcm import FirebaseSender

    return FirebaseSender(firebase_config)


@pytest.fixture
def firebase_app(make_app: Callable[..., Flask], firebase_config: Config) -> Iterator[Flask]:
    """An app on the test database whose auth and pushes go to the fake server.

    Its context is pushed over the default one, so jobs (job_app) and factories use it.
    """
    overrides = {
        name: getattr(firebase_config, name)
        for name in (
            "AUTH_MODE",
            "PUSH_BACKEND",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "FIREBASE_PROJECT_ID",
            "FCM_ENDPOINT",
            "FIREBASE_CERT_URL",
            "FCM_TIMEOUT_SECONDS",
        )
    }
    flask_app = make_app(**overrides)
    with flask_app.app_context():
        yield flask_app


@pytest.fixture
def run_firebase_jobs(firebase_app: Flask) -> Callable[[], int]:
    """Run the firebase app's queued jobs in this process; a failed job fails the test."""
    from tests.conftest import run_queued_jobs

    return lambda: run_queued_jobs(firebase_app)
