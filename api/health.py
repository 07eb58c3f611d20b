"""Liveness and readiness, for the platform's health checks (no auth, not under /v1)."""

from __future__ import annotations

import contextlib
import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

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
    """200 only when the database and Redis answer, else a 503 problem naming what is down."""
    checks = {"database": _database_ok(), "redis": get_queue().ping()}
    if all(checks.values()):
        return jsonify(status="ready", checks=checks)
    down = ", ".join(name for name, ok in checks.items() if not ok)
    return problem(503, detail=f"Not ready: {down} unreachable.", extra={"checks": checks})


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not ready"; the reason goes to the log
        log.warning("database not ready", exc_info=True)
        with contextlib.suppress(Exception):  # the connection may be too broken to roll back
            db.session.rollback()
        return False
