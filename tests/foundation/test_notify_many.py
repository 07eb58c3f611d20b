"""notify_many: the clock's batches of notifications in one INSERT, deduplicated, delivered."""

from __future__ import annotations

from sqlalchemy import event, func, select

from api.extensions import db
from api.notifications.models import Delivery, Notification
from api.notifications.service import notify_many
from tests.factories import DeviceFactory, UserFactory, couple_id_of


def _reminders(users, keys):
    return [
        {
            "recipient_id": user.id,
            "couple_id": couple_id_of(user),
            "category": "ritual_reminder",
            "title": "Morning coffee",
            "body": "Time for your morning coffee",
            "data": {"ritual_id": "1"},
            "dedupe_key": key,
            "collapse_key": "ritual-1",
            "ttl_seconds": 1800,
        }
        for user, key in zip(users, keys, strict=True)
    ]


def test_a_batch_is_one_statement_and_every_row_is_delivered_after_commit(run_jobs):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        DeviceFactory(user=user)
    batch = _reminders(users, [f"k{i}" for i in range(5)])
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        ids = notify_many(db.session, batch)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(ids) == 5
    assert len(statements) == 1
    db.session.commit()
    assert run_jobs() >= 1
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 5
    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert {r.status for r in rows} == {"sent"}
    assert rows[0].collapse_key == "ritual-1" and rows[0].ttl_seconds == 1800


def test_existing_dedupe_keys_are_skipped_and_only_new_ids_returned():
    users = [UserFactory() for _ in range(3)]
    first = notify_many(db.session, _reminders(users[:2], ["a", "b"]))
    db.session.commit()
    again = notify_many(db.session, _reminders(users, ["a", "b", "c"]))
    db.session.commit()
    assert len(first) == 2
    assert len(again) == 1 and again[0] not in first
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 3


def test_an_empty_batch_sends_nothing():
    assert notify_many(db.session, []) == []
