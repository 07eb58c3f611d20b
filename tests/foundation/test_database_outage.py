"""A database that cannot be reached answers 503 with Retry-After and one log line, not 500."""

from __future__ import annotations

import logging
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, event, text

from api.errors import database_unavailable, rolled_back_by_concurrency
from api.extensions import db
from tests.conftest import auth


def _unreachable_url(database_url: str) -> str:
    if database_url.startswith("postgresql"):
        return "postgresql://postgres@127.0.0.1:1/test"  # nothing listens on port 1: refused
    return "sqlite:////nonexistent-hearth-dir/hearth.sqlite3"  # cannot be opened


def _assert_503(response) -> None:
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 503
    assert body["type"] == "https://hearth.app/problems/unavailable"
    assert response.headers["Retry-After"] == "5"
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_refused_database_answers_503_with_retry_after(make_app, base_config, caplog):
    app = make_app(DATABASE_URL=_unreachable_url(base_config.DATABASE_URL))
    client = app.test_client()

    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            _assert_503(client.get("/v1/me", headers=auth("alex")))
            _assert_503(
                client.post(
                    "/v1/devices",
                    json={"token": "t", "platform": "ios"},
                    headers=auth("alex"),
                )
            )

    records = [r for r in caplog.records if r.name == "api.errors"]
    assert len(records) == 6  # one line per request ...
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in records)
    assert all("database unavailable" in r.getMessage() for r in records)  # ... no traceback


@pytest.mark.postgres
def test_a_connection_lost_mid_request_answers_503(client, base_config, caplog):
    """PostgreSQL ends the request's connection under it (as a restart does)."""
    killer = create_engine(base_config.DATABASE_URL, isolation_level="AUTOCOMMIT")
    armed = threading.Event()

    def terminate_own_backend(conn, cursor, statement, parameters, context, executemany):
        if armed.is_set() and "FROM users" in statement:
            armed.clear()
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with killer.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    assert client.get("/v1/me", headers=auth("alex")).status_code == 200
    event.listen(db.engine, "before_cursor_execute", terminate_own_backend)
    try:
        armed.set()
        with caplog.at_level(logging.WARNING):
            _assert_503(client.get("/v1/me", headers=auth("alex")))
        # The pool drops the dead connection: the next request is served again.
        assert client.get("/v1/me", headers=auth("alex")).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", terminate_own_backend)
        killer.dispose()
    assert [r.exc_info for r in caplog.records if r.name == "api.errors"] == [None]


def test_a_bug_in_sql_is_still_a_500(make_app, caplog):
    app = make_app()

    @app.get("/broken-sql")
    def broken_sql():
        db.session.execute(text("SELECT * FROM no_such_table"))
        return {}

    response = app.test_client().get("/broken-sql")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def test_what_counts_as_unavailable():
    from sqlalchemy import exc

    class Refused(Exception):
        sqlstate = None

    class AdminShutdown(Exception):
        sqlstate = "57P01"

    class Deadlock(Exception):
        sqlstate = "40P01"

    class DiskFull(Exception):
        sqlstate = "53100"

    def operational(orig: Exception) -> exc.OperationalError:
        return exc.OperationalError("SELECT 1", {}, orig)

    assert database_unavailable(operational(Refused("connection refused")))
    assert database_unavailable(operational(AdminShutdown("terminating connection")))
    assert database_unavailable(operational(DiskFull("could not extend file")))
    assert database_unavailable(operational(sqlite3.OperationalError("database or disk is full")))
    assert not database_unavailable(operational(Deadlock("deadlock detected")))
    # Not unavailable, but rolled back whole: answered 503 too (a retry succeeds).
    assert rolled_back_by_concurrency(operational(Deadlock("deadlock detected")))
    assert not rolled_back_by_concurrency(operational(AdminShutdown("terminating connection")))
    assert not database_unavailable(exc.IntegrityError("INSERT", {}, Deadlock("dup")))
    assert database_unavailable(exc.TimeoutError("QueuePool limit reached"))


def test_a_transaction_rolled_back_by_a_deadlock_answers_503(make_app):
    """PostgreSQL aborts one of two deadlocked transactions whole: the request is retryable."""
    from sqlalchemy import exc

    class Deadlock(Exception):
        sqlstate = "40P01"

    app = make_app()

    @app.get("/deadlocked")
    def deadlocked():
        raise exc.OperationalError("UPDATE couples", {}, Deadlock("deadlock detected"))

    _assert_503(app.test_client().get("/deadlocked"))
