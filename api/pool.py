"""Connection pool policy: no liveness round trip on a busy connection, a safe one on an idle one;
the web's statements planned once per connection.

SQLAlchemy's `pool_pre_ping` pings at every checkout: one extra round trip per request. Here
a connection is pinged only when it has sat idle in the pool longer than IDLE_PING_SECONDS
(the only time a server restart or a proxy's idle cut can have killed it unnoticed). A dead
one raises DisconnectionError, which the pool answers by discarding it and connecting anew
(up to three times), so the request never sees the stale connection.

psycopg prepares a statement run five times on a connection; PostgreSQL then plans it afresh
at each execution for the values given (a custom plan) whenever it estimates that cheaper
than one plan for any value (the generic plan). For the web's statements, every one keyed on
the caller's user or couple, the estimate misleads: with rituals per couple skewed (the load
benchmark's 2 and 40), the streak read's statement was planned anew every time, 0.25 ms of
the server's CPU against 0.07 ms for its generic plan, and the read's database CPU fell from
0.40 to 0.18 ms under load with one plan (bench/api_load.py's couples, gunicorn and wrk).
The clock's and workers' statements select by time across all couples, where the value
given does decide the best plan: they keep PostgreSQL's choice.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_PING_SECONDS = 10.0
_RETURNED_AT = "hearth_returned_at"


def ping_idle_connections(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Make engine's pool ping a connection at checkout only after idle_seconds unused."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # new, or busy a moment ago: it is alive
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("idle connection is gone") from error
        if not alive:
            raise exc.DisconnectionError("idle connection is gone")


def plan_generically(engine: Engine) -> None:
    """Make each new PostgreSQL connection of engine plan a prepared statement once (its generic
    plan, `plan_cache_mode = force_generic_plan`) instead of for each execution's values."""

    @event.listens_for(engine, "connect")
    def _generic_plans(dbapi_connection: Any, record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")
        # (a new psycopg connection is not in autocommit: the SET began a transaction)
        dbapi_connection.commit()
