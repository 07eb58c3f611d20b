"""Delivery under every FCM answer: real firebase-admin client, fake FCM server, real jobs.

Users sign in with Firebase ID tokens minted by the fake and register their phones through
the HTTP API; the notification's status (not part of the API) is read from the outbox row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Delivery, Notification
from api.notifications.service import notify
from api.users.models import User
from tests.factories import couple_id_of
from tests.fakes.google import FCM_ERRORS, FakeGoogle
from workers import delivery, maintenance
from workers.scheduler import sweep_pending

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 13:00 in Berlin


def t(name: str) -> str:
    """A token as long as a real one (POST /v1/devices refuses shorter), named for reading."""
    return f"{name}:" + "x" * 40


class Phones:
    """A signed-in user and the phones they registered, through the API."""

    def __init__(self, client, fake: FakeGoogle, uid: str) -> None:
        self.client, self.fake, self.uid = client, fake, uid
        self.headers = {"Authorization": f"Bearer {fake.mint_id_token(uid)}"}
        me = client.get("/v1/me", headers=self.headers)
        assert me.status_code == 200, me.get_json()
        self.id = me.get_json()["id"]

    def register(self, token: str, platform: str = "android") -> int:
        response = self.client.post(
            "/v1/devices", json={"token": token, "platform": platform}, headers=self.headers
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def device_ids(self) -> list[int]:
        response = self.client.get("/v1/devices", headers=self.headers)
        assert response.status_code == 200
        return sorted(d["id"] for d in response.get_json())

    def patch_me(self, body: dict) -> None:
        response = self.client.patch("/v1/me", json=body, headers=self.headers)
        assert response.status_code == 200, response.get_json()

    def feed_ids(self) -> list[int]:
        return [
            i["id"]
            for i in self.client.get("/v1/notifications", headers=self.headers).json["items"]
        ]


@pytest.fixture
def api(firebase_app: Flask, fake_google: FakeGoogle, clock):
    clock.set(T0)
    client = firebase_app.test_client()
    return lambda uid: Phones(client, fake_google, uid)


def write(user_id: int, key: str = "evt-1", category: str = "partner_checkin", **extra) -> int:
    notification_id = notify(
        db.session,
        recipient_id=user_id,
        couple_id=couple_id_of(db.session.get(User, user_id)),
        category=category,
        title="Sam logged your six-second kiss",
        body="Keep the streak going",
        data={"ritual_id": 7, "check_in_id": 3},
        dedupe_key=key,
        **extra,
    )
    db.session.commit()
    assert notification_id is not None
    return notification_id


def row(notification_id: int) -> Notification:
    db.session.expire_all()
    notification = db.session.get(Notification, notification_id)
    assert notification is not None
    return notification


def deliveries(notification_id: int) -> dict[int, str]:
    db.session.expire_all()
    return {
        d.device_id: d.status
        for d in db.session.scalars(
            select(Delivery).where(Delivery.notification_id == notification_id)
        )
    }


def retry_when_due(clock, run_firebase_jobs, notification_id: int) -> None:
    """Let the clock reach the retry time, and run what the clock's job enqueues."""
    clock.set(row(notification_id).deliver_after)
    assert maintenance.enqueue_due() >= 1
    run_firebase_jobs()


# ---- success -----------------------------------------------------------------------------


def test_every_device_gets_one_copy_and_the_notification_is_sent(
    api, fake_google, run_firebase_jobs
):
    alex = api("alex")
    phone, tablet = alex.register(t("alex-phone")), alex.register(t("alex-tablet"), "ios")

    notification_id = write(alex.id)
    run_firebase_jobs()

    notification = row(notification_id)
    assert notification.status == "sent" and notification.sent_at == T0
    assert notification.attempts == 1 and notification.last_error is None
    assert deliveries(notification_id) == {phone: "sent", tablet: "sent"}
    assert fake_google.accepted_tokens() == {t("alex-phone"): 1, t("alex-tablet"): 1}
    sent = fake_google.accepted[0]
    assert sent.data["category"] == "partner_checkin"
    assert sent.data["notification_id"] == str(notification_id)
    assert sent.data["ritual_id"] == "7"  # every data value is a string
    assert sent.message["android"]["notification"]["channel_id"] == "partner_activity"
    assert alex.feed_ids() == [notification_id]
    # A second run (a duplicate enqueue, the sweep) sends nothing again.
    fake_google.reset()
    delivery.deliver([notification_id])
    assert fake_google.requests == []


def test_reminders_carry_collapse_key_and_ttl(api, fake_google, run_firebase_jobs):
    alex = api("alex")
    alex.register(t("alex-phone"), "ios")

    write(
        alex.id,
        key="reminder-1",
        category="ritual_reminder",
        collapse_key="ritual-7",
        ttl_seconds=1800,
    )
    run_firebase_jobs()

    [sent] = fake_google.accepted
    assert sent.message["android"]["collapse_key"] == "ritual-7"
    assert sent.message["android"]["ttl"] == "1800s"
    assert sent.message["android"]["priority"] == "high"
    headers = sent.message["apns"]["headers"]
    assert headers["apns-collapse-id"] == "ritual-7"
    assert headers["apns-expiration"] == str(int((T0 + timedelta(seconds=1800)).timestamp()))


# ---- tokens FCM no longer knows --------------------------------------------------------------


@pytest.mark.parametrize("code", ["UNREGISTERED", "SENDER_ID_MISMATCH", "INVALID_ARGUMENT"])
def test_dead_token_deletes_that_device_only(api, fake_google, run_firebase_jobs, code):
    alex = api("alex")
    good, dead = alex.register(t("alex-phone")), alex.register(t("alex-old-phone"))
    fake_google.answer_token(t("alex-old-phone"), code)

    notification_id = write(alex.id)
    run_firebase_jobs()

    assert alex.device_ids() == [good]
    assert row(notification_id).status == "sent"
    assert deliveries(notification_id) == {good: "sent"}
    assert dead not in alex.device_ids()


def test_only_dead_tokens_means_failed_with_the_reason(api, fake_google, run_firebase_jobs):
    alex = api("alex")
    alex.register(t("alex-old-phone"))
    fake_google.answer_token(t("alex-old-phone"), "UNREGISTERED")

    notification_id = write(alex.id)
    run_firebase_jobs()

    notification = row(notification_id)
    assert notification.status == "failed"
    assert notification.last_error == "UNREGISTERED"
    assert alex.device_ids() == []
    assert alex.feed_ids() == [notification_id]  # still in the feed


def test_invalid_message_fails_the_notification_as_a_bug(
    api, fake_google, run_firebase_jobs, clock, caplog
):
    alex = api("alex")
    phones = [alex.register(t("alex-phone")), alex.register(t("alex-tablet"))]
    # "from" is a reserved FCM data key: FCM refuses the message itself.
    notification_id = notify(
        db.session,
        recipient_id=alex.id,
        couple_id=couple_id_of(db.session.get(User, alex.id)),
        category="affirmation",
        title="t",
        body="b",
        data={"from": "sam"},
        dedupe_key="bad-payload",
    )
    db.session.commit()

    with caplog.at_level(logging.ERROR, logger="workers.delivery"):
        run_firebase_jobs()

    notification = row(notification_id)
    assert notification.status == "failed"
    assert "Invalid data payload key: from" in notification.last_error
    assert any("BUG" in r.message for r in caplog.records)
    assert alex.device_ids() == sorted(phones)  # the tokens are fine: kept
    clock.advance(hours=1)
    assert maintenance.enqueue_due() == 0 and sweep_pending() == 0  # never retried


# ---- transient errors: retry later, only the devices that failed ------------------------------


def test_quota_exceeded_retries_only_the_failed_device_after_retry_after(
    api, fake_google, run_firebase_jobs, clock
):
    alex = api("alex")
    phone, tablet = alex.register(t("alex-phone")), alex.register(t("alex-tablet"))
    fake_google.answer_token(t("alex-tablet"), "QUOTA_EXCEEDED", retry_after=300, times=1)

    notification_id = write(alex.id)
    run_firebase_jobs()

    notification = row(notification_id)
    assert notification.status == "pending"
    assert notification.sent_at == T0  # the phone took it
    assert notification.last_error == "QUOTA_EXCEEDED"
    # Retry-After (300 s) beats the first backoff (15-30 s).
    assert notification.deliver_after == T0 + timedelta(seconds=300)
    assert deliveries(notification_id) == {phone: "sent"}

    clock.set(T0 + timedelta(seconds=299))
    assert maintenance.enqueue_due() == 0  # not before Retry-After
    retry_when_due(clock, run_firebase_jobs, notification_id)

    assert row(notification_id).status == "sent"
    assert deliveries(notification_id) == {phone: "sent", tablet: "sent"}
    assert fake_google.accepted_tokens() == {t("alex-phone"): 1, t("alex-tablet"): 1}


@pytest.mark.parametrize("code", ["UNAVAILABLE", "INTERNAL"])
def test_server_errors_back_off_with_jitter_then_deliver(
    api, fake_google, run_firebase_jobs, clock, code
):
    alex = api("alex")
    alex.register(t("alex-phone"))
    fake_google.answer_token(t("alex-phone"), code, times=2)

    notification_id = write(alex.id)
    run_firebase_jobs()
    first_wait = row(notification_id).deliver_after - T0
    assert timedelta(seconds=15) <= first_wait <= timedelta(seconds=30)
    assert row(notification_id).last_error == code

    retry_when_due(clock, run_firebase_jobs, notification_id)
    second_at = clock.current
    second_wait = row(notification_id).deliver_after - second_at
    assert timedelta(seconds=30) <= second_wait <= timedelta(seconds=60)

    retry_when_due(clock, run_firebase_jobs, notification_id)
    notification = row(notification_id)
    assert notification.status == "sent" and notification.attempts == 3
    assert [r.status for r in fake_google.requests] == [FCM_ERRORS[code][0]] * 2 + [200]


def test_gives_up_after_the_last_retry_with_the_reason(api, fake_google, run_firebase_jobs, clock):
    alex = api("alex")
    alex.register(t("alex-phone"))
    fake_google.answer_token(t("alex-phone"), "UNAVAILABLE", retry_after=10)

    notification_id = write(alex.id)
    run_firebase_jobs()
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        retry_when_due(clock, run_firebase_jobs, notification_id)

    notification = row(notification_id)
    assert notification.status == "failed"
    assert notification.attempts == delivery.MAX_ATTEMPTS
    assert notification.last_error == f"gave up after {delivery.MAX_ATTEMPTS} attempts: UNAVAILABLE"
    assert len(fake_google.requests) == delivery.MAX_ATTEMPTS
    clock.advance(hours=2)
    assert maintenance.enqueue_due() == 0 and sweep_pending() == 0


def test_gives_up_but_stays_sent_when_another_device_took_it(
    api, fake_google, run_firebase_jobs, clock
):
    alex = api("alex")
    alex.register(t("alex-phone"))
    alex.register(t("alex-tablet"))
    fake_google.answer_token(t("alex-tablet"), "INTERNAL")

    notification_id = write(alex.id)
    run_firebase_jobs()
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        retry_when_due(clock, run_firebase_jobs, notification_id)

    notification = row(notification_id)
    assert notification.status == "sent"
    assert "gave up" in notification.last_error and "INTERNAL" in notification.last_error
    assert fake_google.accepted_tokens() == {t("alex-phone"): 1}
    assert [r.token for r in fake_google.requests].count(t("alex-tablet")) == delivery.MAX_ATTEMPTS


def test_third_party_auth_error_fails_loudly_without_retry(
    api, fake_google, run_firebase_jobs, clock, caplog
):
    alex = api("alex")
    iphone = alex.register(t("alex-iphone"), "ios")
    fake_google.answer_token(t("alex-iphone"), "THIRD_PARTY_AUTH_ERROR")

    notification_id = write(alex.id)
    with caplog.at_level(logging.CRITICAL, logger="workers.delivery"):
        run_firebase_jobs()

    notification = row(notification_id)
    assert notification.status == "failed"
    assert notification.last_error == "THIRD_PARTY_AUTH_ERROR"
    assert deliveries(notification_id) == {iphone: "failed"}
    assert any(r.levelno == logging.CRITICAL and "APNs" in r.message for r in caplog.records)
    assert alex.device_ids() == [iphone]  # the token is fine; the project's APNs key is not
    assert len(fake_google.token_requests) <= 1  # no OAuth refresh storm on the 401
    clock.advance(hours=1)
    assert maintenance.enqueue_due() == 0 and sweep_pending() == 0


def test_many_recipients_in_one_job_each_get_their_own_answer(
    api, fake_google, run_firebase_jobs, clock
):
    users = [api(f"member{i}") for i in range(6)]
    for i, user in enumerate(users):
        user.register(t(f"token-{i}"))
    fake_google.answer_token(t("token-1"), "UNREGISTERED")
    fake_google.answer_token(t("token-2"), "QUOTA_EXCEEDED", retry_after=60, times=1)
    couple_ids = [couple_id_of(db.session.get(User, u.id)) for u in users]
    # One transaction, one job for all six (as a broadcast would write them).
    ids = [
        notify(
            db.session,
            recipient_id=u.id,
            couple_id=couple_ids[i],
            category="affirmation",
            title="Today's affirmation",
            body="You make ordinary days feel special",
            dedupe_key=f"broadcast-{i}",
        )
        for i, u in enumerate(users)
    ]
    db.session.commit()

    assert run_firebase_jobs() == 1

    assert [row(i).status for i in ids] == ["sent", "failed", "pending", "sent", "sent", "sent"]
    retry_when_due(clock, run_firebase_jobs, ids[2])
    assert row(ids[2]).status == "sent"
    assert fake_google.accepted_tokens() == {t(f"token-{i}"): 1 for i in (0, 2, 3, 4, 5)}


# ---- preferences and quiet hours -------------------------------------------------------------


def test_switched_off_category_is_in_the_feed_but_not_pushed(api, fake_google, run_firebase_jobs):
    alex = api("alex")
    alex.register(t("alex-phone"))
    alex.patch_me({"notification_preferences": {"partner_activity": False}})

    notification_id = write(alex.id)
    run_firebase_jobs()

    assert row(notification_id).status == "suppressed"
    assert fake_google.requests == []
    assert alex.feed_ids() == [notification_id]


def test_quiet_hours_hold_partner_pushes_until_they_end_but_not_reminders(
    api, fake_google, run_firebase_jobs, clock
):
    clock.set(datetime(2026, 3, 10, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    alex = api("alex")
    alex.register(t("alex-phone"))
    alex.patch_me({"timezone": "Europe/Berlin", "quiet_hours": {"start": "22:00", "end": "07:00"}})

    checkin = write(alex.id, key="checkin")
    reminder = write(alex.id, key="reminder", category="ritual_reminder")
    run_firebase_jobs()

    assert row(reminder).status == "sent"
    assert row(checkin).status == "pending"
    assert row(checkin).deliver_after == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    assert fake_google.accepted_tokens() == {t("alex-phone"): 1}

    clock.set(datetime(2026, 3, 11, 5, 59, tzinfo=UTC))
    assert maintenance.enqueue_due() == 0
    clock.set(datetime(2026, 3, 11, 6, 0, 5, tzinfo=UTC))
    assert maintenance.enqueue_due() == 1
    run_firebase_jobs()
    assert row(checkin).status == "sent"
    assert fake_google.accepted_tokens() == {t("alex-phone"): 2}


# ---- the clock's jobs -------------------------------------------------------------------------


def test_redis_down_at_enqueue_is_delivered_later_by_the_sweep(
    api, fake_google, run_firebase_jobs, firebase_app, clock, monkeypatch
):
    import redis

    alex = api("alex")
    alex.register(t("alex-phone"))
    job_queue = firebase_app.extensions["hearth_queue"]

    def down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is down")

    monkeypatch.setattr(job_queue.queue, "enqueue", down)
    notification_id = write(alex.id)  # the user's action commits although Redis is down
    monkeypatch.undo()
    job_queue.reset_breaker()  # Redis is back, and the breaker's few seconds are over
    assert run_firebase_jobs() == 0
    assert row(notification_id).status == "pending" and fake_google.requests == []

    clock.advance(seconds=5)
    assert sweep_pending() == 0  # not yet SWEEP_AFTER (10 s) overdue
    clock.advance(seconds=6)
    assert sweep_pending() == 1
    run_firebase_jobs()

    assert row(notification_id).status == "sent"
    assert fake_google.accepted_tokens() == {t("alex-phone"): 1}


def test_stale_devices_are_pruned_after_270_days(api, clock):
    alex = api("alex")
    old = alex.register(t("alex-old-phone"))
    clock.advance(days=2)
    recent = alex.register(t("alex-phone"))

    clock.set(T0 + timedelta(days=270, hours=1))
    assert maintenance.prune_stale_devices() == 1
    assert alex.device_ids() == [recent]
    assert old not in alex.device_ids()


def test_re_registering_refreshes_a_device(api, clock):
    alex = api("alex")
    phone = alex.register(t("alex-phone"))
    clock.advance(days=200)
    response = alex.client.post(
        "/v1/devices", json={"token": t("alex-phone"), "platform": "android"}, headers=alex.headers
    )
    assert response.status_code == 200
    clock.advance(days=100)
    assert maintenance.prune_stale_devices() == 0
    assert alex.device_ids() == [phone]


def test_clock_registers_the_delivery_jobs() -> None:
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("workers.cron")

    jobs = {f"{j.func.__module__}.{j.func.__name__}": j for j in scheduler.get_jobs()}
    assert jobs["workers.maintenance.enqueue_due"].interval == 15
    assert jobs["workers.maintenance.prune_stale_devices"].cron == "17 3 * * *"
    # Every 10 s, for rows 10 s overdue: delivered within 30 s of Redis coming back.
    assert jobs["workers.scheduler.sweep_pending"].interval == 10


# ---- backoff ---------------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_is_capped_and_honours_retry_after() -> None:
    for attempts, low, high in [(1, 15, 30), (2, 30, 60), (3, 60, 120), (10, 900, 1800)]:
        waits = {delivery.backoff(attempts).total_seconds() for _ in range(50)}
        assert all(low <= w <= high for w in waits)
        assert len(waits) > 1  # jittered
    assert delivery.backoff(1, retry_after=600) == timedelta(seconds=600)
