"""Round trips to the database per request: a number that grows is a regression.

Every call the app's engine makes to the database driver is counted, at the SQLAlchemy
dialect (the last stop before the driver): statements (`do_execute*`), COMMIT, ROLLBACK (the
pool's reset when a connection is returned too) and the pool's liveness ping. The ceilings
are the issue's goals: GET /v1/me at most 2, each list or couple read at most 3 (the
streaks read whatever the number of rituals), a check-in at most 6 including its COMMIT.
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


@contextmanager
def round_trips() -> Iterator[list[str]]:
    """Record every driver call the app's engine makes within the block, by its name."""
    calls: list[str] = []
    dialect = db.engine.dialect
    originals = {name: getattr(dialect, name) for name in DIALECT_CALLS}

    def wrap(name: str) -> Any:
        original = originals[name]

        def counted(*args: Any, **kwargs: Any) -> Any:
            statement = args[1] if name.startswith("do_execute") and len(args) > 1 else ""
            calls.append(f"{name} {' '.join(statement.split())}".strip()[:300])
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
    ("/v1/me", 2),
    ("/v1/couple", 3),
    ("/v1/notifications", 3),
    ("/v1/devices", 3),
    ("/v1/couple/rituals", 3),
    ("/v1/couple/streaks", 3),
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
    assert len(many) == len(few) <= 3, many


def test_a_check_in_takes_at_most_six_round_trips_with_its_commit(
    client: FlaskClient, couple: dict[str, Any]
) -> None:
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
    assert len(calls) <= 6, calls


def test_the_counter_sees_pings_and_the_pool_reset(client: FlaskClient) -> None:
    """The instrument itself: a ping and a returned connection's rollback are counted."""
    with round_trips() as calls, db.engine.connect() as conn:
        db.engine.dialect.do_ping(conn.connection.dbapi_connection)
        conn.exec_driver_sql("SELECT 1")
    assert [c.split()[0] for c in calls] == ["do_ping", "do_execute", "do_rollback"], calls


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
