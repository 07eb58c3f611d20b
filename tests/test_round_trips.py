"""Round trips to the database per request: a number that grows is a regression.

Every round trip the app's engine makes to the database server is counted, at the SQLAlchemy
dialect (the last stop before the driver): statements (`do_execute*`), the BEGIN psycopg
sends by itself before a transaction's first statement, COMMIT and ROLLBACK when there is a
transaction to end (the pool's reset when a connection is returned too), and the pool's
liveness ping. The ceilings are the issue's goals, lower where reads run without a
transaction (api/read_only.py): GET /v1/me one statement, each list or couple read at most
2 (the streaks read whatever the number of rituals), a check-in at most 7 including BEGIN and
COMMIT (the issue's 6, counted before BEGIN was seen: see the note on the check-in test).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.extensions import db
from tests.conftest import auth

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday, 13:00 in Berlin
DIALECT_CALLS = (
    "do_execute",
    "do_executemany",
    "do_execute_no_params",
    "do_commit",
    "do_rollback",
    "do_ping",
)


def _in_transaction(dbapi_connection: Any) -> bool:
    """Whether the driver's connection holds an open transaction (so COMMIT/ROLLBACK is sent)."""
    # The pool hands the dialect its proxy (a _ConnectionFairy) or the driver's connection.
    dbapi_connection = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    if status is not None:  # psycopg
        import psycopg

        return bool(status != psycopg.pq.TransactionStatus.IDLE)
    return bool(dbapi_connection.in_transaction)  # sqlite3


def _begins_implicitly(cursor: Any) -> bool:
    """Whether psycopg sends a BEGIN of its own before this statement (a round trip).

    sqlite3 begins implicitly too, but in-process: no round trip to count.
    """
    connection = cursor.connection
    return (
        hasattr(connection, "info")
        and not connection.autocommit
        and not _in_transaction(connection)
    )


@contextmanager
def round_trips() -> Iterator[list[str]]:
    """Record every round trip the app's engine makes within the block, by its name."""
    calls: list[str] = []
    dialect = db.engine.dialect
    originals = {name: getattr(dialect, name) for name in DIALECT_CALLS}

    def wrap(name: str) -> Any:
        original = originals[name]

        def counted(*args: Any, **kwargs: Any) -> Any:
            if name.startswith("do_execute"):
                if _begins_implicitly(args[0]):
                    calls.append("BEGIN (sent by psycopg)")
                statement = args[1] if len(args) > 1 else ""
                calls.append(f"{name} {' '.join(statement.split())}".strip()[:300])
            elif name == "do_ping" or _in_transaction(args[0]):
                calls.append(name)
            return original(*args, **kwargs)

        return counted

    for name in DIALECT_CALLS:
        setattr(dialect, name, wrap(name))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(dialect, name, original)


def _call(client: FlaskClient, method: str, path: str, uid: str, body: Any = None) -> Any:
    response = client.open(path, method=method, json=body, headers=auth(uid))
    assert response.status_code < 300, (path, response.get_json())
    return response.get_json()


@pytest.fixture
def couple(client: FlaskClient, clock: Any) -> dict[str, Any]:
    """Alex and Sam paired in Berlin, with two daily rituals; Sam checked one in yesterday."""
    clock.set(NOW)
    for uid in ("alex", "sam"):
        _call(client, "PATCH", "/v1/me", uid, {"display_name": uid.title()})
    code = _call(client, "POST", "/v1/invites", "alex")["code"]
    _call(client, "POST", "/v1/couple", "sam", {"code": code})
    _call(client, "PATCH", "/v1/couple", "alex", {"timezone": "Europe/Berlin"})
    rituals = [_add_ritual(client, n) for n in range(2)]
    _call(
        client,
        "POST",
        f"/v1/couple/rituals/{rituals[0]}/check-ins",
        "sam",
        {"client_id": str(uuid.uuid4()), "local_date": "2026-03-03"},
    )
    return {"rituals": rituals}


def _add_ritual(client: FlaskClient, n: int) -> int:
    body = {
        "title": f"Ritual {n}",
        "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": "07:30"},
        "reminder": {"enabled": True, "minutes_before": 0},
        "completion": "either",
        "client_id": str(uuid.uuid4()),
    }
    return _call(client, "POST", "/v1/couple/rituals", "alex", body)["id"]


READS = [
    ("/v1/me", 1),
    ("/v1/couple", 2),
    ("/v1/notifications", 2),
    ("/v1/devices", 2),
    ("/v1/couple/rituals", 2),
    ("/v1/couple/streaks", 2),
]


@pytest.mark.parametrize(("path", "ceiling"), READS)
def test_reads_stay_within_their_round_trips(
    client: FlaskClient, couple: dict[str, Any], path: str, ceiling: int
) -> None:
    _call(client, "GET", path, "alex")  # warm: first sight of a route, lazy loads
    with round_trips() as calls:
        _call(client, "GET", path, "alex")
    assert len(calls) <= ceiling, "\n".join(calls)


def test_the_streaks_read_does_not_grow_with_rituals(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    with round_trips() as few:
        _call(client, "GET", "/v1/couple/streaks", "alex")
    for n in range(2, 8):
        _add_ritual(client, n)
    with round_trips() as many:
        _call(client, "GET", "/v1/couple/streaks", "alex")
    assert len(many) == len(few) <= 2, many


def test_a_check_in_takes_at_most_seven_round_trips_with_begin_and_commit(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    """BEGIN, the auth SELECT, the locked ritual, the INSERT ... RETURNING, the notification
    INSERT, the streak record's upsert, COMMIT. The issue's ceiling of 6 was set with a
    counter that did not see psycopg's BEGIN; this counter does (on PostgreSQL)."""
    ritual = couple["rituals"][1]
    with round_trips() as calls:
        _call(
            client,
            "POST",
            f"/v1/couple/rituals/{ritual}/check-ins",
            "alex",
            {"client_id": str(uuid.uuid4())},
        )
    assert any(c.startswith("do_commit") for c in calls)
    assert len(calls) <= 7, calls


def test_a_read_sends_no_begin_and_no_rollback(client: FlaskClient, couple: dict[str, Any]) -> None:
    _call(client, "GET", "/v1/couple/streaks", "alex")
    with round_trips() as calls:
        _call(client, "GET", "/v1/couple/streaks", "alex")
    assert [c.split()[0] for c in calls] == ["do_execute", "do_execute"], calls


def test_a_read_gives_its_connection_back_transactional(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
    """The autocommit of a read ends with the request: the next user of the connection
    (a write) runs in a transaction that a ROLLBACK undoes."""
    from sqlalchemy import text

    for _ in range(3):
        _call(client, "GET", "/v1/me", "alex")
    with db.engine.connect() as conn:
        assert conn.get_isolation_level() != "AUTOCOMMIT"
        before = conn.execute(text("SELECT count(*) FROM rituals")).scalar_one()
        conn.execute(text("UPDATE rituals SET title = 'changed'"))
        conn.rollback()
        assert (
            conn.execute(text("SELECT count(*) FROM rituals WHERE title = 'changed'")).scalar_one()
            == 0
        )
        assert before == 2


def test_a_write_in_a_read_request_is_not_in_autocommit_after_first_sight(
    client: FlaskClient,
) -> None:
    """The first sight of a user is an INSERT and COMMIT in the auth step, then the read."""
    response = client.get("/v1/me", headers=auth("newcomer"))
    assert response.status_code == 200
    assert response.get_json()["id"] > 0


def test_the_counter_sees_pings_begin_and_the_pool_reset(client: FlaskClient) -> None:
    """The instrument itself: a ping, psycopg's BEGIN and a returned connection's rollback."""
    with round_trips() as calls, db.engine.connect() as conn:
        db.engine.dialect.do_ping(conn.connection.dbapi_connection)
        conn.exec_driver_sql("UPDATE users SET locale = locale WHERE id = -1")
    if db.engine.dialect.name == "postgresql":
        expected = ["do_ping", "BEGIN", "do_execute", "do_rollback"]
    else:
        expected = ["do_ping", "do_execute", "do_rollback"]
    assert [c.split()[0] for c in calls] == expected, calls


@pytest.mark.postgres
def test_a_connection_killed_while_idle_is_replaced_before_the_request_uses_it(
    make_app: Any,
) -> None:
    """No per-checkout ping, yet a server-side disconnect of an idle connection is no error."""
    from sqlalchemy import text

    import api.pool

    app = make_app()  # its own engine: the listener added below stays there
    with app.app_context():
        engine = db.engine
    api.pool.ping_idle_connections(engine, idle_seconds=0.0)
    client = app.test_client()
    _call(client, "GET", "/v1/me", "alex")  # a pooled connection, now idle
    # Every pooled connection of this database but the one running the kill goes away.
    with db.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
        )
    for _ in range(3):
        assert client.get("/v1/me", headers=auth("alex")).status_code == 200
    # The kill took the session-wide test app's idle connections too (same database), and that
    # engine has no idle ping: drop them so the cleanup after this test gets live ones.
    db.engine.dispose()
