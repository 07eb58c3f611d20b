"""Connection pool policy: no liveness round trip on a busy connection, a safe one on an idle one.

SQLAlchemy's `pool_pre_ping` pings at every checkout: one extra round trip per request. Here
a connection is pinged only when it has sat idle in the pool longer than IDLE_PING_SECONDS
(the only time a server restart or a proxy's idle cut can have killed it unnoticed). A dead
one raises DisconnectionError, which the pool answers by discarding it and connecting anew
(up to three times), so the request never sees the stale connection.
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
