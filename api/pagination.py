"""Cursor pagination, the one way every unbounded list is paged: `?limit=&cursor=`.

A list describes its order and cursor once (a Keyset), builds its SELECT once with every
per-request value a bound parameter (`paged`, cached by the caller), and fetch_page binds the
cursor and the limit: SQLAlchemy building the statement per request was most of a list's CPU.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Column, Integer, Select, and_, bindparam, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.db_utils import execute_core
from api.errors import Invalid
from api.fields import CALENDAR_DAY, QueryInteger
from api.i18n import N_
from api.ids import is_row_id, max_id

# An order column: a mapped attribute, or a table's column for a Core SELECT (fetch_rows).
KeyColumn = InstrumentedAttribute[Any] | Column[Any]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgs(Schema):
    limit = QueryInteger(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(load_default=None)


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A response schema `{items: [...], next_cursor}` for one item schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        },
        name=name,
    )


def not_a_cursor() -> Invalid:
    """The 422 on `cursor` for any cursor this API did not give out."""
    return Invalid("cursor", N_("Not a cursor this API gave out."))


def read_cursor(cursor: str) -> dict[str, Any]:
    """The JSON object inside a cursor: every decoder starts here (anything else is a 422)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    # RecursionError: a forged cursor of a few hundred nested brackets exhausts the JSON
    # parser's stack, which was a 500.
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise not_a_cursor() from exc
    if not isinstance(value, dict):
        raise not_a_cursor()
    return value


def cursor_day(value: object) -> date:
    """A YYYY-MM-DD day inside a cursor (the only form encoders write); else a 422."""
    if not isinstance(value, str) or not CALENDAR_DAY.fullmatch(value):
        raise not_a_cursor()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise not_a_cursor() from exc


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


# eq=False: columns compare into SQL expressions, never into a bool.
@dataclass(frozen=True, eq=False)
class Keyset:
    """A list's order, newest first, and its cursor: one named field per order column.

    The last column is the integer key that breaks ties; any before it are dates. The
    cursor is the JSON object {field: value} of the page's last row, in `fields`' order.
    """

    columns: tuple[KeyColumn, ...]
    fields: tuple[str, ...]
    # True: the cursor condition is the row value (a, b) < (x, y); else a < x OR (a = x AND
    # b < y). The same rows: each list keeps the form its index was planned with.
    row_value: bool = False

    def encode(self, row: Any) -> str:
        """The cursor that continues after row."""
        values = {}
        for field, column in zip(self.fields, self.columns, strict=True):
            value = getattr(row, column.key)
            values[field] = value.isoformat() if isinstance(value, date) else value
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> dict[str, Any]:
        """The bound parameters of the page after cursor; a malformed cursor is a 422."""
        value = read_cursor(cursor)
        *days, key = self.columns
        params = {_param(f): cursor_day(value.get(f)) for f in self.fields[: len(days)]}
        last_id = value.get(self.fields[-1])
        # Bounded by the key's column: a larger number would reach the database and fail there.
        if not is_row_id(last_id, maximum=max_id(key)):
            raise not_a_cursor()
        params[_param(self.fields[-1])] = last_id
        return params

    def page(self, rows: list[Any], limit: int) -> Page:
        """The page of the first limit of rows (fetched limit + 1: one more means more)."""
        items = rows[:limit]
        return Page(items=items, next_cursor=self.encode(items[-1]) if len(rows) > limit else None)


def by_id(key: KeyColumn) -> Keyset:
    """Newest first by the integer column key; cursor {"after": id}."""
    return Keyset((key,), ("after",))


def by_day(day: KeyColumn, key: KeyColumn) -> Keyset:
    """Newest day first, ties by key (newest first); cursor {"day": ..., "after": id}."""
    return Keyset((day, key), ("day", "after"))


def _param(field: str) -> str:
    return f"cursor_{field}"


@dataclass(frozen=True, eq=False)
class PagedSelect:
    """A SELECT paged by a keyset, built once: its first page, and its page after a cursor.

    Bound parameters: the SELECT's own, ``page_size``, and ``cursor_<field>`` per cursor field
    (fetch_page binds them).
    """

    keyset: Keyset
    # Two statements rather than one with an "any cursor?" parameter: the first page's plan
    # never carries a condition that is true for every row.
    first: Select[Any]
    after: Select[Any]


def paged(
    stmt: Select[Any], keyset: Keyset, *, outer_join: tuple[Any, Any] | None = None
) -> PagedSelect:
    """stmt ordered and limited by keyset, with and without a cursor (build once, then cache).

    outer_join: (the rows' table, the join's condition) when stmt selects from their parent
    row (a live ritual of the couple): the cursor's condition goes into the join, so a parent
    with no row after the cursor still answers one row of NULLs, and a missing parent none.
    One round trip tells a 404 from an empty page.
    """
    pairs = zip(keyset.fields, keyset.columns, strict=True)
    bound = [bindparam(_param(field), type_=column.type) for field, column in pairs]
    if keyset.row_value:
        after = tuple_(*keyset.columns) < tuple_(*bound)
    else:
        # a < x OR (a = x AND (b < y ...)), from the last column outwards.
        after = keyset.columns[-1] < bound[-1]
        for column, value in zip(keyset.columns[-2::-1], bound[-2::-1], strict=True):
            after = or_(column < value, and_(column == value, after))
    order = [column.desc() for column in keyset.columns]
    size = bindparam("page_size", type_=Integer)
    if outer_join is None:
        first, later = stmt, stmt.where(after)
    else:
        rows, on = outer_join
        first, later = stmt.outerjoin(rows, on), stmt.outerjoin(rows, and_(on, after))
    return PagedSelect(
        keyset=keyset,
        first=first.order_by(*order).limit(size),
        after=later.order_by(*order).limit(size),
    )


def page_statement(
    paged_select: PagedSelect, params: dict[str, Any], *, limit: int, cursor: str | None
) -> tuple[Select[Any], dict[str, Any]]:
    """The statement and parameters that fetch one page (limit + 1 rows) after cursor."""
    params = {**params, "page_size": limit + 1}
    if cursor is None:
        return paged_select.first, params
    return paged_select.after, {**params, **paged_select.keyset.decode(cursor)}


def fetch_page(
    session: Session,
    paged_select: PagedSelect,
    params: dict[str, Any],
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of a PagedSelect of one entity, its own bound parameters given in params."""
    stmt, bound = page_statement(paged_select, params, limit=limit, cursor=cursor)
    return paged_select.keyset.page(list(session.scalars(stmt, bound)), limit)


def fetch_rows(
    session: Session,
    paged_select: PagedSelect,
    params: dict[str, Any],
    make: Callable[[Any], Any],
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of a PagedSelect of columns, each row made into an item by make.

    For a Core SELECT (table columns, JSON columns of child rows): no ORM entity is loaded.
    """
    stmt, bound = page_statement(paged_select, params, limit=limit, cursor=cursor)
    rows = execute_core(session, stmt, bound)
    return paged_select.keyset.page([make(row) for row in rows], limit)
