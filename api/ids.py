"""Row ids as the API takes them: positive integers that the addressed key column can hold.

An id past what its column holds must never reach the database: PostgreSQL answers "integer
out of range" past 2**31 for an INTEGER key, SQLite cannot bind past 2**63, and either was a
500 where a missing object is a 404.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # INTEGER keys (int4 on PostgreSQL): every table but notifications


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: 1..MAX_ID; any other number matches no route (a 404).

    A route over a BIGINT key says so: `<int(max=9223372036854775807):notification_id>`.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
