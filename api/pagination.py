"""Cursor pagination, the one way every unbounded list is paged: `?limit=&cursor=`."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.errors import Invalid
from api.fields import CALENDAR_DAY, QueryInteger
from api.i18n import N_
from api.ids import is_row_id, max_id

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


def encode_cursor(last_id: int) -> str:
    """An opaque cursor that continues after the row with last_id."""
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, key: InstrumentedAttribute[int]) -> int:
    """The key id a cursor continues after; a malformed cursor is a 422 on `cursor`."""
    value = read_cursor(cursor).get("after")
    # Bounded by the key's column: a larger number would reach the database and fail there.
    if not is_row_id(value, maximum=max_id(key)):
        raise not_a_cursor()
    return value


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    key: InstrumentedAttribute[int],
    limit: int,
    cursor: str | None,
) -> Page:
    """Keyset-page stmt newest first by the integer column key (one query, no OFFSET)."""
    if cursor is not None:
        stmt = stmt.where(key < decode_cursor(cursor, key=key))
    rows = list(session.scalars(stmt.order_by(key.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], key.key)) if has_more else None
    return Page(items=rows, next_cursor=next_cursor)


def encode_day_cursor(day: date, last_id: int) -> str:
    """An opaque cursor that continues after the row (day, last_id) of a by-day listing."""
    payload = json.dumps({"day": day.isoformat(), "after": last_id}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_day_cursor(cursor: str, *, key: InstrumentedAttribute[int]) -> tuple[date, int]:
    """The (day, id) a by-day cursor continues after; a malformed cursor is a 422 on `cursor`."""
    value = read_cursor(cursor)
    day, last_id = cursor_day(value.get("day")), value.get("after")
    if not is_row_id(last_id, maximum=max_id(key)):
        raise not_a_cursor()
    return day, last_id


def paginate_by_day(
    session: Session,
    stmt: Select[Any],
    *,
    day: InstrumentedAttribute[date],
    key: InstrumentedAttribute[int],
    limit: int,
    cursor: str | None,
) -> Page:
    """Keyset-page stmt by the date column day, newest first, ties by key (newest first)."""
    if cursor is not None:
        after_day, after_id = decode_day_cursor(cursor, key=key)
        stmt = stmt.where(or_(day < after_day, and_(day == after_day, key < after_id)))
    rows = list(session.scalars(stmt.order_by(day.desc(), key.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_day_cursor(getattr(rows[-1], day.key), getattr(rows[-1], key.key))
        if has_more
        else None
    )
    return Page(items=rows, next_cursor=next_cursor)
