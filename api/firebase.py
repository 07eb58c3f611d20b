"""The Firebase Admin app, created lazily once per process (never at import time)."""

from __future__ import annotations

import threading

import firebase_admin
from firebase_admin import credentials

from api.config import Config

_lock = threading.Lock()
_apps: dict[tuple[str | None, str | None, float, str | None], firebase_admin.App] = {}


def get_app(config: Config) -> firebase_admin.App:
    """The firebase_admin App for this config: service-account file or application default."""
    key = (
        config.GOOGLE_APPLICATION_CREDENTIALS,
        config.FIREBASE_PROJECT_ID,
        config.FCM_TIMEOUT_SECONDS,
        config.FIREBASE_CERT_URL,
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
            _apps[key] = app
        return app


def _point_id_token_verifier_at(app: firebase_admin.App, cert_url: str) -> None:
    """Tests only (Config refuses it in production): fetch ID-token certificates from cert_url.

    firebase-admin has no option for this; the verifier's cert_url is a private attribute of
    firebase-admin 7 (pinned <8). verify_id_token's checks all stay firebase-admin's own.
    """
    from firebase_admin import auth

    auth._get_client(app)._token_verifier.id_token_verifier.cert_url = cert_url
