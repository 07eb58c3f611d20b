"""psycopg cursors whose description is built only when someone reads it.

SQLAlchemy asks the cursor for its description after every statement, but reads its columns
only the first time it meets a compiled statement: afterwards the result's columns come from
its cache, and the description only tells it that the statement returned rows. psycopg builds
one Column object per column at every ask: about 20 µs for the auth step's user and couple
(27 columns), on every request. Here the description is a sequence of the right length whose
Column objects are built on first read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import _queries as psycopg_queries
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine


class Description(Sequence[psycopg.Column]):
    """A cursor's description for one result, its Column objects built on first read.

    Raises RuntimeError when first read after the cursor has moved on to another result.
    """

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: LazyDescriptionCursor, result: pq.abc.PGresult) -> None:
        self._cursor, self._result = cursor, result
        self._columns: list[psycopg.Column] | None = None

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("a description read after its cursor moved on")
            self._columns = self._cursor.eager_description() or []
        return self._columns

    def __len__(self) -> int:
        return int(self._result.nfields)

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self._built()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._built())


class LazyDescriptionCursor(psycopg.Cursor[Any]):
    """psycopg's client cursor with a Description built on first read."""

    @property
    def description(self) -> Sequence[psycopg.Column] | None:  # type: ignore[override]
        """None when the statement returned no rows, as psycopg says; else a Description."""
        result = self.pgresult
        if result is None or not result.nfields:
            return self.eager_description()  # psycopg's rules for the rare cases
        return Description(self, result)

    def eager_description(self) -> list[psycopg.Column] | None:
        """psycopg's own description: every Column built now."""
        return super().description


def use_lazy_descriptions(engine: Engine) -> None:
    """Give every connection the PostgreSQL engine opens LazyDescriptionCursor cursors."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: psycopg.Connection[Any], record: object) -> None:
        dbapi_connection.cursor_factory = LazyDescriptionCursor


# The longest statement text whose conversion psycopg keeps (its default: 4096 bytes).
CACHED_STATEMENT_LENGTH = 64 * 1024


def cache_long_statements() -> None:
    """Let psycopg keep the conversion of statements up to CACHED_STATEMENT_LENGTH bytes."""
    # psycopg turns a statement's %(name)s placeholders into $n once per text and keeps the
    # result (an LRU of 128), but only for texts up to 4 kB: the recap's statements (the
    # figures' UNION ALL, the rituals with their JSON columns) are longer and were converted
    # again on every request, 0.1 ms for one week's figures and 0.85 ms for twelve weeks'. The
    # app's statements are built once: a bounded set of texts. psycopg reads the limit per call.
    # A private constant: a psycopg that no longer has it only loses the speed-up
    # (tests/foundation/test_pg_cursor.py fails then, so a pin update notices).
    limit = getattr(psycopg_queries, "MAX_CACHED_STATEMENT_LENGTH", None)
    if limit is None:
        return
    psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(limit, CACHED_STATEMENT_LENGTH)
