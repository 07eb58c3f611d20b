"""Child rows folded into their parent's SELECT as a JSON array: one round trip, not one per table.

``json_rows`` is a correlated scalar subquery returning ``[[c1, c2, ...], ...]`` (``[]`` when
there are none) on PostgreSQL (``json_agg``) and SQLite (``json_group_array``); ``decode``
turns its value into Python lists whatever the driver already parsed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import JSON, ColumnElement, func, literal_column, select


def json_rows(
    dialect: str,
    columns: Sequence[ColumnElement[Any]],
    *where: ColumnElement[bool],
    own: Sequence[Any],
) -> ColumnElement[Any]:
    """A scalar subquery: the rows of ``columns`` matching ``where``, as one JSON array.

    ``own`` are the tables the subquery reads; every other table it mentions is the outer
    query's (correlated), never joined in again.
    """
    if dialect == "postgresql":
        agg: ColumnElement[Any] = func.coalesce(
            func.json_agg(func.json_build_array(*columns)), literal_column("'[]'::json")
        )
    else:
        # A JSON-typed column is text in SQLite: json() keeps it a nested array, not a string.
        items = [func.json(c) if isinstance(c.type, JSON) else c for c in columns]
        agg = func.json_group_array(func.json_array(*items))
    return select(agg).where(*where).correlate_except(*own).scalar_subquery()


def json_array_of(dialect: str, *values: ColumnElement[Any]) -> ColumnElement[Any]:
    """One JSON array of JSON ``values`` (json_rows columns), each nested, not quoted as text."""
    if dialect == "postgresql":
        return func.json_build_array(*values)
    return func.json_array(*(func.json(value) for value in values))


def decode(value: Any) -> list[list[Any]]:
    """The rows of a ``json_rows`` value (a str from SQLite, parsed already by psycopg)."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


def as_date(value: Any) -> date | None:
    """A date from its JSON form (ISO text), None kept."""
    return None if value is None else date.fromisoformat(value[:10])


def as_instant(value: str) -> datetime:
    """An instant from its JSON form, aware UTC as UTCDateTime reads it: PostgreSQL writes the
    offset ("...+00:00"), SQLite the UTC wall time without one ("2026-03-01 09:00:00.000000")."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_time(value: Any) -> time:
    """A time of day from its JSON form ("07:30:00" or SQLite's "07:30:00.000000")."""
    return time.fromisoformat(value)


def as_list(value: Any) -> list[Any]:
    """A JSON list column from its JSON form (nested already, or text)."""
    return json.loads(value) if isinstance(value, str) else list(value)
