"""Small SQL helpers that differ by dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Executable, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def conflict_insert(dialect_name: str) -> Callable[..., Any]:
    """The dialect's insert(): the one with on_conflict_do_nothing / on_conflict_do_update."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def execute_core(session: Session, statement: Executable, params: Any = None) -> CursorResult[Any]:
    """Run a statement as plain Core on the session's connection, in its transaction.

    For an INSERT (or upsert) of a mapped table, or a SELECT of columns: rows, never objects.
    ``params``: one dict, or a list of dicts for an executemany. session.execute() sends an
    insert of a mapped class through the ORM's bulk-insert path (per-row parameter and state
    handling), a ninth of a check-in's time; and a SELECT through the ORM's result layer, a
    third of a one-statement read's own cost even with no entity in it. An insert changes no
    object the session holds (an upsert's caller expires any copy it may hold), so the
    connection runs it. Pending objects are flushed first, as session.execute would: unless
    autoflush is off, as it is inside a flush hook (`with session.no_autoflush`), where
    flushing again is not allowed.
    """
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)


def insert_ignore(
    session: Session, model: Any, values: dict[str, Any], *, conflict_on: list[str]
) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new id, or None if it existed.

    Race-safe without savepoints: two writers of the same unique key never both win.
    """
    stmt = (
        conflict_insert(session.get_bind().dialect.name)(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_on)
        .returning(model.id)
    )
    return execute_core(session, stmt).scalar_one_or_none()


def for_update_skip_locked(session: Session) -> dict[str, bool]:
    """with_for_update() kwargs of a claim: SKIP LOCKED (SQLite's compiler drops the clause).

    On SQLite it also tells api/sqlite_locks.py that the claim waits for no one, so it takes
    no write lock (a claim may hold its rows across storage or FCM calls).
    """
    return {"skip_locked": True}


def in_ids(session: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN ids`: on PostgreSQL `column = ANY(:ids)`, one array parameter for them all.

    An IN list binds one parameter per id: SQLAlchemy renders the list anew at every execution,
    and psycopg parses the statement's text anew too (it caches none with over 50 parameters),
    a sixth of a delivery batch's CPU (bench/push.py). One array keeps the text the same.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(column.type)))
    return column.in_(ids)


def unique_violation(error: Exception) -> bool:
    """Whether an IntegrityError is a duplicate of a unique key (a retried or raced insert)."""
    return _constraint_kind(error) == "unique"


def foreign_key_violation(error: Exception) -> bool:
    """Whether an IntegrityError names a row another transaction deleted meanwhile."""
    return _constraint_kind(error) == "foreign_key"


# PostgreSQL's SQLSTATEs; SQLite tells the kind only in its message.
_SQLSTATES = {"23505": "unique", "23503": "foreign_key"}
_SQLITE_MESSAGES = {
    "UNIQUE constraint failed": "unique",
    "FOREIGN KEY constraint failed": "foreign_key",
}


def _constraint_kind(error: Exception) -> str | None:
    orig = getattr(error, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return _SQLSTATES.get(sqlstate)
    message = str(orig)
    return next((kind for text, kind in _SQLITE_MESSAGES.items() if message.startswith(text)), None)
