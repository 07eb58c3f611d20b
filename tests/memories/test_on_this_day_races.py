"""Two memories written at once (PostgreSQL): the "on this day" schedule sees both.

Each write recomputes the couple's next push from the memories it can see; before the
schedule row was locked first, two writes at once each missed the other's memory and the
last one's answer won.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.extensions import db
from api.memories.models import OnThisDaySchedule
from tests.conftest import auth
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _memory(client, uid: str, happened_on: str) -> int:
    body = {"title": "t", "happened_on": happened_on, "client_id": str(uuid.uuid4())}
    return client.post("/v1/couple/memories", json=body, headers=auth(uid)).status_code


def test_memories_created_at_once_both_come_round(app, client, pair, clock):
    clock.set(NOW)
    # Sam's memory comes round on 16 March, while Alex's is held just before its upsert.
    sams = lambda: _memory(app.test_client(), "sam", "2024-03-16")  # noqa: E731
    with meanwhile(sams, before="INSERT INTO on_this_day_schedules") as answers:
        assert _memory(client, "alex", "2024-03-20") == 201
    assert answers == [201]
    db.session.expire_all()
    due = db.session.scalar(select(OnThisDaySchedule.next_due_at))
    # 09:00 in Berlin on 16 March, not Alex's 20 March: Sam's day would pass without a push.
    assert due == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
