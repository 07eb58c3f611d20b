"""The ritual reminder tick (rituals locked, then pushes to both partners) vs. an erasure that
locks the user's row first and then deletes the rituals the user created (PostgreSQL): the
erasure's lock lets the tick's pushes through (FOR NO KEY UPDATE), so no deadlock rolls the
tick's batch back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.extensions import db
from api.rituals import reminders
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres
MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FIRE = datetime(2026, 3, 2, 17, 20, tzinfo=UTC)
EVENING = {
    "title": "Six-second kiss",
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": "18:30"},
    "reminder": {"enabled": True, "minutes_before": 10},
}


def test_reminder_tick_and_erasure_do_not_deadlock(app, client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    create_ritual(**EVENING)  # created by Alex
    clock.set(FIRE + timedelta(seconds=5))

    def tick():
        with app.app_context():
            try:
                return reminders.run_due(
                    db.session, moment=FIRE + timedelta(seconds=5)
                ).notifications
            except Exception as exc:
                db.session.rollback()
                return type(exc.__cause__ or exc).__name__ + ": " + str(exc).splitlines()[0]

    with meanwhile(tick, before="DELETE FROM rituals") as results:
        assert client.delete("/v1/me", headers=pair.alex).status_code == 204
    assert results == [2]  # the tick's two reminders (FOR UPDATE made it DeadlockDetected)
