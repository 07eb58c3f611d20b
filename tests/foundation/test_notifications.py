"""The outbox end to end on the embedded default: row -> after commit -> job -> LogSender."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Delivery, Notification
from api.notifications.service import notify
from tests.conftest import auth
from tests.factories import DeviceFactory, UserFactory, couple_id_of


def write(user, key="evt-1", category="affirmation", **extra):
    notification_id = notify(
        db.session,
        recipient_id=user.id,
        couple_id=couple_id_of(user),
        category=category,
        title="Hearth",
        body="Sam sent you an affirmation",
        data={"affirmation_id": 7},
        dedupe_key=key,
        **extra,
    )
    db.session.commit()
    return notification_id


def test_notification_is_delivered_to_every_device_after_commit(run_jobs):
    user = UserFactory()
    phones = [DeviceFactory(user=user), DeviceFactory(user=user)]
    notification_id = write(user)
    assert run_jobs() == 1
    notification = db.session.get(Notification, notification_id)
    assert notification.status == "sent"
    assert notification.sent_at is not None
    delivered = db.session.scalars(select(Delivery.device_id)).all()
    assert sorted(delivered) == sorted(p.id for p in phones)


def test_same_dedupe_key_is_written_once(run_jobs):
    user = UserFactory()
    DeviceFactory(user=user)
    assert write(user, key="same") is not None
    assert write(user, key="same") is None
    run_jobs()
    assert len(db.session.scalars(select(Notification)).all()) == 1
    assert len(db.session.scalars(select(Delivery)).all()) == 1


def test_rolled_back_notification_is_never_enqueued(app, run_jobs):
    user = UserFactory()
    notify(
        db.session,
        recipient_id=user.id,
        couple_id=couple_id_of(user),
        category="affirmation",
        title="t",
        body="b",
        dedupe_key="rolled-back",
    )
    db.session.rollback()
    assert app.extensions["hearth_queue"].queue.count == 0
    assert run_jobs() == 0


def test_running_delivery_twice_sends_once(app, run_jobs):
    user = UserFactory()
    DeviceFactory(user=user)
    notification_id = write(user)
    app.extensions["hearth_queue"].enqueue("workers.delivery.deliver", [notification_id])
    assert run_jobs() == 2
    assert len(db.session.scalars(select(Delivery)).all()) == 1


def test_switched_off_category_is_in_the_feed_but_not_pushed(client, run_jobs):
    client.patch(
        "/v1/me", json={"notification_preferences": {"affirmations": False}}, headers=auth("kai")
    )
    client.post("/v1/devices", json={"token": "kai-phone", "platform": "ios"}, headers=auth("kai"))
    kai = db.session.scalar(select(UserFactory._meta.model).filter_by(uid="kai"))
    notification_id = write(kai)
    run_jobs()
    assert db.session.get(Notification, notification_id).status == "suppressed"
    assert db.session.scalars(select(Delivery)).all() == []
    feed = client.get("/v1/notifications", headers=auth("kai")).get_json()
    assert [item["id"] for item in feed["items"]] == [notification_id]


def test_partner_push_in_quiet_hours_waits_until_they_end(clock, run_jobs):
    clock.set(datetime(2026, 3, 10, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    user = UserFactory(
        timezone="Europe/Berlin", quiet_hours_start=time(22, 0), quiet_hours_end=time(7, 0)
    )
    DeviceFactory(user=user)
    notification_id = write(user)
    run_jobs()
    held = db.session.get(Notification, notification_id)
    assert held.status == "pending"
    assert held.deliver_after == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    reminder_id = write(user, key="reminder-1", category="ritual_reminder")
    run_jobs()
    assert db.session.get(Notification, reminder_id).status == "sent"


def test_no_device_means_feed_only(run_jobs):
    user = UserFactory()
    notification_id = write(user)
    run_jobs()
    notification = db.session.get(Notification, notification_id)
    assert notification.status == "suppressed"
    assert notification.last_error == "no registered device"


def test_feed_is_newest_first_paginated_and_private(client):
    me = db.session.scalar(select(UserFactory._meta.model).filter_by(uid="feed"))
    assert me is None
    client.get("/v1/me", headers=auth("feed"))
    me = db.session.scalar(select(UserFactory._meta.model).filter_by(uid="feed"))
    other = UserFactory()
    ids = [write(me, key=f"k{i}") for i in range(25)]
    write(other, key="not-mine")
    page1 = client.get("/v1/notifications?limit=10", headers=auth("feed")).get_json()
    assert [i["id"] for i in page1["items"]] == ids[::-1][:10]
    page2 = client.get(
        f"/v1/notifications?limit=10&cursor={page1['next_cursor']}", headers=auth("feed")
    ).get_json()
    page3 = client.get(
        f"/v1/notifications?limit=10&cursor={page2['next_cursor']}", headers=auth("feed")
    ).get_json()
    assert [i["id"] for i in page2["items"]] == ids[::-1][10:20]
    assert [i["id"] for i in page3["items"]] == ids[::-1][20:]
    assert page3["next_cursor"] is None
    default = client.get("/v1/notifications", headers=auth("feed")).get_json()
    assert len(default["items"]) == 20


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "cursor=garbage", "limit=abc"])
def test_bad_paging_is_422(client, query):
    response = client.get(f"/v1/notifications?{query}", headers=auth("feed"))
    assert response.status_code == 422


def test_mark_read_up_to_id(client):
    client.get("/v1/me", headers=auth("reader"))
    me = db.session.scalar(select(UserFactory._meta.model).filter_by(uid="reader"))
    ids = [write(me, key=f"r{i}") for i in range(3)]
    response = client.post(
        "/v1/notifications/read", json={"up_to_id": ids[1]}, headers=auth("reader")
    )
    assert response.status_code == 204
    items = client.get("/v1/notifications", headers=auth("reader")).get_json()["items"]
    read = {i["id"]: i["read_at"] for i in items}
    assert read[ids[0]] and read[ids[1]] and read[ids[2]] is None
    assert client.post("/v1/notifications/read", json={}, headers=auth("reader")).status_code == 422


def test_redis_down_at_enqueue_leaves_rows_for_the_sweep(app, clock, run_jobs, monkeypatch):
    import redis

    clock.set(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    user = UserFactory()
    DeviceFactory(user=user)
    job_queue = app.extensions["hearth_queue"]

    def down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is down")

    monkeypatch.setattr(job_queue.queue, "enqueue", down)
    notification_id = write(user)  # the commit succeeds although the enqueue fails
    monkeypatch.undo()
    job_queue.reset_breaker()  # Redis is back, and the breaker's few seconds are over
    assert run_jobs() == 0
    assert db.session.get(Notification, notification_id).status == "pending"
    clock.advance(seconds=11)
    from workers.scheduler import sweep_pending

    assert sweep_pending() == 1
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Notification, notification_id).status == "sent"


def test_a_commit_enqueues_its_push_in_one_redis_round_trip(app, run_jobs, monkeypatch):
    """RQ on its own sends two MULTI/EXEC per enqueue; the app hands it one pipeline."""
    import redis

    sent: list[str] = []
    real_command, real_pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def command(self, *args, **options):
        sent.append(f"command {args[0]}")
        return real_command(self, *args, **options)

    def pipeline(self, *args, **options):
        sent.append("pipeline")
        return real_pipeline(self, *args, **options)

    user = UserFactory()
    DeviceFactory(user=user)
    write(user, key="first")  # RQ asks the server's version (INFO) once per queue
    monkeypatch.setattr(redis.Redis, "execute_command", command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)
    notification_id = write(user, key="one-trip")
    monkeypatch.undo()

    assert sent == ["pipeline"]
    assert run_jobs() == 2
    assert db.session.get(Notification, notification_id).status == "sent"


@pytest.mark.parametrize("rows", [2, 9])
def test_notify_many_writes_the_alongside_statement_too(app, rows):
    """One multi-row INSERT with the other write as its CTE (PostgreSQL, few rows), or the two
    statements one after the other: both are written either way, in the caller's transaction."""
    from sqlalchemy import bindparam, update

    from api.notifications.service import notify_many
    from api.users.models import User

    user = UserFactory()
    db.session.commit()
    rename = (
        update(User).where(User.id == bindparam("b_user")).values(display_name=bindparam("b_name"))
    )
    alongside = (rename, {"b_user": user.id, "b_name": "Renamed"})
    items = [
        {
            "recipient_id": user.id,
            "couple_id": couple_id_of(user),
            "category": "affirmation",
            "title": "Hearth",
            "body": f"note {i}",
            "dedupe_key": f"alongside-{rows}-{i}",
        }
        for i in range(rows)
    ]
    new = notify_many(db.session, items, alongside=alongside)
    db.session.rollback()  # the caller's transaction: undone, both writes are gone
    assert db.session.scalars(select(Notification.id)).all() == []
    assert db.session.get(User, user.id).display_name != "Renamed"

    new = notify_many(db.session, items, alongside=alongside)
    db.session.commit()
    assert len(new) == rows
    assert sorted(db.session.scalars(select(Notification.id)).all()) == sorted(new)
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Renamed"
