"""On SQLite, a row lock (SELECT … FOR UPDATE) takes the database's write lock.

SQLite has no row locks: its compiler drops FOR UPDATE, and Python's sqlite3 opens a
transaction only at the first INSERT, UPDATE or DELETE. Two requests that each read "the
partner has not answered yet" under a lock would both go on to write, and the second answer
never revealed the first (PostgreSQL makes the second wait at its lock and read again). So
where the code asks for a row lock, the transaction begins there with BEGIN IMMEDIATE: it
waits (up to the busy timeout) for any other writer to finish, and holds the write lock
until COMMIT or ROLLBACK, so whatever follows the lock reads what the other committed. One
mechanism for every FOR UPDATE and FOR SHARE, as on PostgreSQL, except that SQLite
serialises at the whole file: a share lock (an account locked while its text is written)
excludes the other writers too. Claims with SKIP LOCKED take no lock (see below).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def take_write_lock_for_row_locks(engine: Engine) -> None:
    """Make engine (SQLite) begin an IMMEDIATE transaction before a statement with FOR UPDATE."""
    event.listen(engine, "before_execute", _lock_before_for_update)


def _lock_before_for_update(conn: Connection, statement: Any, *args: Any) -> None:
    lock = getattr(statement, "_for_update_arg", None)
    if lock is None or lock.skip_locked:
        # SKIP LOCKED (the clock's, outbox's and delivery's claims) waits for no one: on SQLite
        # those run in the one embedded worker or clock thread each, and some hold their rows
        # across storage or FCM calls, which must not hold every other writer up.
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        # In a transaction already means an earlier write took the write lock.
        dbapi_connection.execute("BEGIN IMMEDIATE")
