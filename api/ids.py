"""Row ids as the API takes them: positive integers that the addressed key column can hold.

An id past what its column holds must never reach the database: PostgreSQL answers "integer
out of range" past 2**31 for an INTEGER key, SQLite cannot bind past 2**63, and either was a
500 where a missing object is a 404 (in a path) or a 422 (in a body or a cursor).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from sqlalchemy import BigInteger, Column
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # INTEGER keys (int4 on PostgreSQL): every table but notifications
MAX_BIG_ID = 2**63 - 1  # BIGINT keys (notifications, deliveries)


def max_id(key: InstrumentedAttribute[int] | Column[int]) -> int:
    """The largest id the key column can hold."""
    return MAX_BIG_ID if isinstance(key.type, BigInteger) else MAX_ID


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: 1..MAX_ID; any other number matches no route (a 404).

    A route over a BIGINT key says so: `<int(max=9223372036854775807):notification_id>`.
    """

    # ASCII digits: werkzeug's \d+ also matches Arabic-Indic or full-width digits, which int()
    # reads as numbers.
    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def row_id_field(*, maximum: int = MAX_ID, **kwargs: Any) -> fields.Integer:
    """A request field holding a row id: an integer 1..maximum (else 422, never a 500).

    strict: 30.9 (or 30.0) is a 422, not silently truncated to 30.
    """
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=maximum), **kwargs)


def is_row_id(value: object, *, maximum: int = MAX_ID) -> bool:
    """Whether value could be a row's id (an int, not a bool, 1..maximum)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum
