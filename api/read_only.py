"""Reads without a transaction: a GET view marked @read_only runs its statements in autocommit.

psycopg sends BEGIN as a round trip of its own before a transaction's first statement, and
the request's end sends ROLLBACK: two of the three round trips of a one-query read. At
PostgreSQL's READ COMMITTED (Hearth's level) every statement takes its own snapshot, inside a
transaction or not, so a view that only reads sees exactly what it would see in one; SQLite
reads likewise. A write in such a view would commit at once, with nothing to roll back, so
only views that never write are marked, or whose writes follow a COMMIT: the first-sight
user INSERT of the auth step is one statement, atomic by itself, and its COMMIT ends the
autocommit connection's use: what follows runs in an ordinary transaction (the daily
affirmation and today's question commit so before a day's first read writes its pick). The
pool gives the connection back its transactional mode when it is returned
(tests/test_round_trips.py checks it). Such a view's user and couple are frozen snapshots
(api/snapshots.py), not ORM objects: nothing it is handed can be written through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from sqlalchemy.orm import Session

View = TypeVar("View", bound=Callable[..., Any])

_MARK = "hearth_read_only"


def read_only(view: View) -> View:
    """Mark a view (a MethodView's get) as one that only reads: it runs in autocommit."""
    setattr(view, _MARK, True)
    return view


def is_read_only_request() -> bool:
    """Whether this request is a GET or HEAD of a view marked @read_only."""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, "get", None) if view_class is not None else view
    return bool(getattr(method, _MARK, False))


def begin_read_only(session: Session) -> None:
    """Take the session's connection in autocommit mode (no BEGIN, no ROLLBACK round trip)."""
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
