"""The Flask app jobs run in: the caller's when there is one, else one per worker process."""

from __future__ import annotations

import threading

from flask import Flask, current_app, has_app_context

_lock = threading.Lock()
_app: Flask | None = None


def job_app() -> Flask:
    """The app whose config and database a job uses."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    global _app
    with _lock:
        if _app is None:
            from api import create_app

            _app = create_app()
        return _app
