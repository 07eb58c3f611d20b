"""Two clocks at once on PostgreSQL: every reminder is sent exactly once per partner."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from api.extensions import db
from api.notifications.models import Notification
from api.rituals import reminders
from api.rituals.models import Ritual
from tests.factories import CoupleFactory, RitualFactory

# Monday 2026-03-02 18:30 in Berlin (CET) is 17:30Z; a 10-minute reminder fires at 17:20Z.
FIRE = datetime(2026, 3, 2, 17, 20, tzinfo=UTC)
COUPLES = 20
RITUALS_PER_COUPLE = 10
DAYS = 8


def tick_in_thread(
    app: Flask, moment: datetime, start: threading.Barrier, out: list[reminders.TickResult]
) -> None:
    # Its own app context: its own session, so its own connection and transaction.
    with app.app_context():
        try:
            start.wait(timeout=30)
            # Small batches: the two clocks interleave over many claims, not one each.
            out.append(reminders.run_due(db.session, moment=moment, batch_size=5))
        finally:
            db.session.remove()


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(5))
def test_two_clocks_send_each_reminder_exactly_once(app, clock, attempt):
    for _ in range(COUPLES):
        couple = CoupleFactory()
        for _ in range(RITUALS_PER_COUPLE):
            RitualFactory(
                couple=couple,
                time=time(18, 30),
                timezone="Europe/Berlin",
                reminder_minutes_before=10,
                next_fire_at=FIRE,
            )
    total = COUPLES * RITUALS_PER_COUPLE
    per_clock = [0, 0]
    # Day after day: each day both clocks tick at the same instant.
    for day in range(DAYS):
        moment = clock.set(FIRE + timedelta(days=day, seconds=1))
        start = threading.Barrier(2)
        results: list[list[reminders.TickResult]] = [[], []]
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
        # SKIP LOCKED: every due ritual was claimed by exactly one clock...
        assert a.reminded + b.reminded == total
        per_clock[0] += a.reminded
        per_clock[1] += b.reminded
        # ...so every notification was written once, one per partner per ritual.
        assert a.notifications + b.notifications == 2 * total

        db.session.expire_all()
        written = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.data["occurrence_at"].as_string()
                == (moment + timedelta(minutes=10) - timedelta(seconds=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
            )
        )
        assert written == 2 * total
        next_fires = set(db.session.scalars(select(Ritual.next_fire_at)))
        assert next_fires == {FIRE + timedelta(days=day + 1)}

    distinct = db.session.scalar(select(func.count(func.distinct(Notification.dedupe_key))))
    assert distinct == db.session.scalar(select(func.count(Notification.id)))
    assert distinct == DAYS * 2 * total
    # Both clocks did work: the test raced them rather than running one after the other.
    assert min(per_clock) > 0, per_clock
