"""Liveness and readiness, for the platform's health checks (no auth, not under /v1)."""

from __future__ import annotations

import contextlib
import functools
import logging

from alembic.script import ScriptDirectory
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
    """200 only when the database (migrated to the code's head) and Redis answer, else 503."""
    database_problem = _database_problem()
    checks = {"database": database_problem is None, "redis": get_queue().ping()}
    config = current_app.extensions["hearth_config"]
    reasons = [database_problem] if database_problem else []
    if not checks["redis"]:
        reasons.append("redis unreachable")
    if firebase.needs_credentials(config):
        # Without them every authenticated call (or every push) fails: not ready.
        problem_text = firebase.credentials_problem(config)
        checks["credentials"] = problem_text is None
        if problem_text is not None:
            reasons.append(problem_text)
    if all(checks.values()):
        return jsonify(status="ready", checks=checks)
    return problem(503, detail=f"Not ready: {', '.join(reasons)}.", extra={"checks": checks})


@functools.cache
def _code_revisions(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the migration heads the code expects, every revision it knows): read once per process,
    they change on deploy."""
    script = ScriptDirectory(directory)
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def _database_problem() -> str | None:
    """Why the database cannot serve this code (unreachable, not migrated, behind), or None."""
    heads, known = _code_revisions(current_app.extensions["migrate"].directory)
    try:
        # One query: it proves the database answers and says which migrations it has.
        applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:  # any driver error means "not ready"; the reason goes to the log
        log.warning("database not ready", exc_info=True)
        with contextlib.suppress(Exception):  # the connection may be too broken to roll back
            db.session.rollback()
        return "database not migrated" if _database_answers() else "database unreachable"
    # Behind (the release step has not run): not ready. Ahead (a revision this code does not
    # know: the release step of a newer version ran, and this older one still serves during
    # the rolling deploy, or after a rollback): ready, as migrations stay backward compatible.
    behind = not applied or any(r in known and r not in heads for r in applied)
    if behind:
        have, want = ", ".join(sorted(applied)) or "none", ", ".join(sorted(heads))
        return f"database at migration {have}, code at {want}"
    return None


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        with contextlib.suppress(Exception):
            db.session.rollback()
        return False
