"""The Firebase Admin app, created lazily once per process (never at import time)."""

from __future__ import annotations

import threading

import firebase_admin
from firebase_admin import credentials

from api.config import Config

_lock = threading.Lock()
_apps: dict[tuple[str | None, str | None, float, str | None, str | None], firebase_admin.App] = {}


def get_app(config: Config) -> firebase_admin.App:
    """The firebase_admin App for this config: service-account file or application default."""
    key = (
        config.GOOGLE_APPLICATION_CREDENTIALS,
        config.FIREBASE_PROJECT_ID,
        config.FCM_TIMEOUT_SECONDS,
        config.FIREBASE_CERT_URL,
        config.FIREBASE_AUTH_URL,
    )
    with _lock:
        app = _apps.get(key)
        if app is None:
            credential = (
                credentials.Certificate(config.GOOGLE_APPLICATION_CREDENTIALS)
                if config.GOOGLE_APPLICATION_CREDENTIALS
                else credentials.ApplicationDefault()
            )
            options: dict[str, object] = {"httpTimeout": config.FCM_TIMEOUT_SECONDS}
            if config.FIREBASE_PROJECT_ID:
                options["projectId"] = config.FIREBASE_PROJECT_ID
            app = firebase_admin.initialize_app(credential, options, name=f"hearth-{len(_apps)}")
            if config.FIREBASE_CERT_URL:
                _point_id_token_verifier_at(app, config.FIREBASE_CERT_URL)
            if config.FIREBASE_AUTH_URL:
                _point_account_lookup_at(app, config.FIREBASE_AUTH_URL)
            _apps[key] = app
        return app


def _point_id_token_verifier_at(app: firebase_admin.App, cert_url: str) -> None:
    """Tests only (Config refuses it in production): fetch ID-token certificates from cert_url.

    firebase-admin has no option for this; the verifier's cert_url is a private attribute of
    firebase-admin 7 (pinned <8). verify_id_token's checks all stay firebase-admin's own.
    """
    from firebase_admin import auth

    auth._get_client(app)._token_verifier.id_token_verifier.cert_url = cert_url


def _point_account_lookup_at(app: firebase_admin.App, base_url: str) -> None:
    """Tests only (Config refuses it in production): the Identity Toolkit API at base_url.

    Revocation checks look the account up there (accounts:lookup); the emulator switch would
    also turn off ID-token signature checks, so the user manager's base URL is set instead.
    """
    from firebase_admin import auth

    manager = auth._get_client(app)._user_manager
    manager.base_url = f"{base_url}/v1/projects/{app.project_id}"


_credential_checks: dict[tuple[str | None, str | None], str | None] = {}


def needs_credentials(config: Config) -> bool:
    """Whether this config talks to Google (firebase auth or firebase pushes)."""
    return config.AUTH_MODE == "firebase" or config.PUSH_BACKEND == "firebase"


def credentials_problem(config: Config) -> str | None:
    """Why Google credentials cannot be loaded for this config (None when they can).

    Loaded once per process and config: the answer only changes with a restart, and
    application default credentials may ask the metadata server, which takes seconds.
    """
    key = (config.GOOGLE_APPLICATION_CREDENTIALS, config.FIREBASE_PROJECT_ID)
    with _lock:
        if key in _credential_checks:
            return _credential_checks[key]
    problem: str | None = None
    try:
        if config.GOOGLE_APPLICATION_CREDENTIALS:
            credentials.Certificate(config.GOOGLE_APPLICATION_CREDENTIALS)
        else:
            credentials.ApplicationDefault().get_credential()
    except Exception as exc:  # any loader error means "cannot authenticate to Google"
        # The type names the failure (file missing, bad JSON, no ADC) without echoing a key.
        problem = f"Google credentials cannot be loaded ({type(exc).__name__})"
    with _lock:
        _credential_checks[key] = problem
    return problem
