"""Small SQL helpers that differ by dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, model: Any, values: dict[str, Any], *, conflict_on: list[str]
) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new id, or None if it existed.

    Race-safe without savepoints: two writers of the same unique key never both win.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_on)
        .returning(model.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def insert_many_ignore(
    session: Session, model: Any, rows: list[dict[str, Any]], *, conflict_on: list[str]
) -> list[int]:
    """One INSERT of many rows, ON CONFLICT DO NOTHING RETURNING id: the ids of the new ones.

    A single statement (one round trip) whatever the number of rows; rows whose unique key
    exists already are skipped, race-safe like insert_ignore.
    """
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(model)
        .values(rows)
        .on_conflict_do_nothing(index_elements=conflict_on)
        .returning(model.id)
    )
    return list(session.execute(stmt).scalars())


def for_update_skip_locked(session: Session) -> dict[str, bool]:
    """with_for_update() kwargs: SKIP LOCKED on PostgreSQL; SQLite locks the whole file anyway."""
    if session.get_bind().dialect.name == "postgresql":
        return {"skip_locked": True}
    return {}
