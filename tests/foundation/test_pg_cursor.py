"""The PostgreSQL engine's cursors build their description on first read (api/pg_cursor.py).

What SQLAlchemy needs of a description must still hold: None for a statement without rows,
the columns' names and types for a statement it has not met, and no stale columns when the
description is read after the cursor moved on.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, text

from api.extensions import db
from api.pg_cursor import CACHED_STATEMENT_LENGTH, Description, LazyDescriptionCursor
from api.users.models import User

pytestmark = pytest.mark.postgres


def test_the_engine_gives_lazy_cursors_and_results_read_as_before(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        assert isinstance(conn.connection.dbapi_connection.cursor(), LazyDescriptionCursor)
        # A textual statement: SQLAlchemy reads the columns off the description.
        row = conn.execute(text("SELECT 1 AS one, 'x'::text AS letter")).one()
        assert row._mapping == {"one": 1, "letter": "x"}
        # A compiled statement, twice: the second time its columns come from the cache.
        for _ in range(2):
            assert conn.execute(select(User.id).where(User.id == -1)).all() == []
        # No rows: the description is None, and the result says so.
        result = conn.execute(text("UPDATE users SET locale = locale WHERE id = -1"))
        assert not result.returns_rows
        conn.rollback()


def test_a_description_is_psycopgs_own_when_read(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("SELECT 1 AS one, 2.5::float8 AS half")
        description = cursor.description
        assert isinstance(description, Description)
        assert len(description) == 2
        assert [(c.name, c.type_code) for c in description] == [
            (c.name, c.type_code) for c in cursor.eager_description() or []
        ]
        assert description[-1].name == "half"
        cursor.execute("SELECT 3 AS three")
        stale = cursor.description
        cursor.execute("SELECT 4")
        with pytest.raises(RuntimeError):
            stale[0]  # never the columns of the statement after
        cursor.execute("SELECT")  # a result of no columns: psycopg's own answer
        assert cursor.description == []
        conn.rollback()


def test_long_statements_keep_their_conversion(app: Flask) -> None:
    """A statement past psycopg's 4 kB default is converted once, not at every execution."""
    from psycopg import _queries

    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= CACHED_STATEMENT_LENGTH
    long = "SELECT %(one)s::int AS one" + " " * 5000
    with app.app_context(), db.engine.connect() as conn:
        before = _queries._query2pg.cache_info().hits
        for _ in range(2):
            assert conn.exec_driver_sql(long, {"one": 1}).scalar_one() == 1
        assert _queries._query2pg.cache_info().hits > before
