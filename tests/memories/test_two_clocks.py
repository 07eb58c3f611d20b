"""Two clocks at once on PostgreSQL: every "on this day" push is written exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from api.extensions import db
from api.memories import on_this_day
from api.memories.models import Memory
from api.notifications.models import Notification
from api.pairing.models import Couple
from tests.factories import CoupleFactory

COUPLES = 40
YEARS = (2026, 2027, 2028)


def tick_in_thread(
    app: Flask, moment: datetime, start: threading.Barrier, out: list[on_this_day.TickResult]
) -> None:
    # Its own app context: its own session, connection and transaction.
    with app.app_context():
        try:
            start.wait(timeout=30)
            # Small batches: the clocks interleave over many claims, not one each.
            out.append(on_this_day.run_due(db.session, moment=moment, batch_size=3))
        finally:
            db.session.remove()


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_two_clocks_push_each_couple_once(app: Flask, clock: object, attempt: int) -> None:
    clock.set(datetime(2026, 1, 10, 12, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    for _ in range(COUPLES):
        couple = CoupleFactory()
        db.session.add(
            Memory(
                couple_id=couple.id,
                author_id=couple.user_a_id,
                title="Beach",
                happened_on=date(2023, 6, 1),
                happened_md=601,
                client_id=str(uuid.uuid4()),
            )
        )
        db.session.flush()
        on_this_day.refresh(db.session, couple=db.session.get(Couple, couple.id))
        db.session.commit()
    per_clock = [0, 0]
    for year in YEARS:
        # 09:00 in Berlin on 1 June (summer time); both clocks tick at once.
        moment = clock.set(datetime(year, 6, 1, 7, 0, tzinfo=UTC))  # type: ignore[attr-defined]
        start = threading.Barrier(2)
        results: list[list[on_this_day.TickResult]] = [[], []]
        threads = [
            threading.Thread(target=tick_in_thread, args=(app, moment, start, results[i]))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(len(r) == 1 for r in results), "a clock failed"
        a, b = results[0][0], results[1][0]
        # SKIP LOCKED: each due couple was claimed by exactly one clock.
        assert a.couples + b.couples == COUPLES
        assert a.notifications + b.notifications == 2 * COUPLES
        per_clock[0] += a.couples
        per_clock[1] += b.couples
    written = db.session.scalar(select(func.count(Notification.id)))
    distinct = db.session.scalar(select(func.count(func.distinct(Notification.dedupe_key))))
    assert written == distinct == len(YEARS) * 2 * COUPLES
    # Both clocks did work: the test raced them rather than running one after the other.
    assert min(per_clock) > 0, per_clock
