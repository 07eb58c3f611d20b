"""Liveness and readiness, for the platform's health checks (no auth, not under /v1)."""

from __future__ import annotations

import contextlib
import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from api import firebase
from api.errors import problem
from api.extensions import db
from api.queue import get_queue

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """200 while the process runs."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Response:
    """200 only when the database and Redis answer (and Google credentials load), else 503."""
    checks = {"database": _database_ok(), "redis": get_queue().ping()}
    config = current_app.extensions["hearth_config"]
    reasons = [f"{name} unreachable" for name, ok in checks.items() if not ok]
    if firebase.needs_credentials(config):
        # Without them every authenticated call (or every push) fails: not ready.
        problem_text = firebase.credentials_problem(config)
        checks["credentials"] = problem_text is None
        if problem_text is not None:
            reasons.append(problem_text)
    if all(checks.values()):
        return jsonify(status="ready", checks=checks)
    return problem(503, detail=f"Not ready: {', '.join(reasons)}.", extra={"checks": checks})


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not ready"; the reason goes to the log
        log.warning("database not ready", exc_info=True)
        with contextlib.suppress(Exception):  # the connection may be too broken to roll back
            db.session.rollback()
        return False
