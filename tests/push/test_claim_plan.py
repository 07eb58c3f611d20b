"""A delivery batch is claimed by primary key, whatever PostgreSQL's statistics say.

After a fan-out (a clock job writing thousands of notifications at once) the statistics still
say what they said before it: that few rows are pending. With `status = 'pending'` in the
claim's WHERE, PostgreSQL then read every pending row through ix_notifications_due for each
batch of 100: a fan-out of N cost N²/100 row reads (bench/push.py: 21.6 ms a batch at 10,000).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert, text

from api.extensions import db
from api.notifications.models import Notification
from tests.factories import UserFactory
from workers import delivery
from workers.push import get_sender

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _notifications(recipient_id: int, status: str, count: int, start: int) -> list[int]:
    rows = [
        {
            "recipient_id": recipient_id,
            "category": "affirmation",
            "title": "t",
            "body": "b",
            "data": {},
            "dedupe_key": f"fan-out-{start + i}",
            "status": status,
            # Not due: the claim reads the batch, finds nothing to send, and lets go.
            "deliver_after": T0 + timedelta(days=1),
            "attempts": 0,
            "created_at": T0,
        }
        for i in range(count)
    ]
    return list(db.session.scalars(insert(Notification).returning(Notification.id), rows))


def test_a_fan_out_does_not_make_each_batch_read_every_pending_row(app: Flask, clock: Any) -> None:
    clock.set(T0)
    user = UserFactory()
    db.session.flush()
    _notifications(user.id, "sent", 3000, 0)
    db.session.commit()
    db.session.execute(text("ANALYZE notifications"))  # statistics at rest: nothing pending
    db.session.commit()
    fan_out = _notifications(user.id, "pending", 3000, 3000)
    db.session.commit()

    claims: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT notifications.") and "FOR UPDATE" in statement:
            claims.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        delivery.deliver_batch(
            db.session, get_sender(app.extensions["hearth_config"]), fan_out[1000:1100]
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert len(claims) == 1
    statement, params = claims[0]
    with db.engine.connect() as conn:
        plan = "\n".join(
            row[0] for row in conn.exec_driver_sql(f"EXPLAIN (ANALYZE) {statement}", params)
        )
    # The batch's 100 rows found by their primary key, not the fan-out's 3,000 pending ones.
    assert "ix_notifications_due" not in plan, plan
    assert "pk_notifications" in plan, plan
