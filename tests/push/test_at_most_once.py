"""At most once per device (issue 16): a copy whose outcome is unknown is never sent again.

Real firebase-admin client against the fake FCM server, real delivery jobs, a fixed clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests
from firebase_admin import exceptions as fb_exceptions
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import select
from urllib3.exceptions import NewConnectionError, ProtocolError

from api.extensions import db
from api.notifications.models import Delivery, Notification
from api.notifications.service import notify
from tests.conftest import run_queued_jobs
from tests.factories import DeviceFactory, UserFactory, couple_id_of
from tests.fakes.google import FakeGoogle
from workers import delivery, maintenance
from workers.fcm import FirebaseSender, outcome_unknown
from workers.scheduler import sweep_pending

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TIMEOUT = 1.0


@pytest.fixture
def slow_app(make_app: Callable[..., Flask], firebase_config) -> Flask:
    """An app whose FCM calls time out after one second."""
    overrides = {
        name: getattr(firebase_config, name)
        for name in (
            "PUSH_BACKEND",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "FIREBASE_PROJECT_ID",
            "FCM_ENDPOINT",
            "FIREBASE_CERT_URL",
        )
    }
    flask_app = make_app(FCM_TIMEOUT_SECONDS=TIMEOUT, **overrides)
    with flask_app.app_context():
        yield flask_app


def _write(tokens: list[str], key: str = "evt") -> int:
    user = UserFactory()
    for token in tokens:
        DeviceFactory(user=user, token=token)
    notification_id = notify(
        db.session,
        recipient_id=user.id,
        couple_id=couple_id_of(user),
        category="affirmation",
        title="Today's affirmation",
        body="You make ordinary days feel special",
        dedupe_key=key,
    )
    db.session.commit()
    assert notification_id is not None
    return notification_id


def _deliveries(notification_id: int) -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(
            select(Delivery.status).where(Delivery.notification_id == notification_id)
        )
    )


def _row(notification_id: int) -> Notification:
    db.session.expire_all()
    notification = db.session.get(Notification, notification_id)
    assert notification is not None
    return notification


def _later(clock, app: Flask, minutes: int) -> None:
    """Let the clock run for a while: every retry and sweep that falls due runs."""
    for _ in range(minutes * 4):
        clock.advance(seconds=15)
        maintenance.enqueue_due()
        sweep_pending()
        run_queued_jobs(app)


def test_a_read_timeout_is_an_unknown_outcome_and_is_not_sent_again(
    slow_app, fake_google: FakeGoogle, clock, caplog
):
    clock.set(T0)
    notification_id = _write(["slow-phone"])
    fake_google.latency_seconds = 2 * TIMEOUT  # FCM takes it, but answers too late

    run_queued_jobs(slow_app)
    fake_google.latency_seconds = 0.0
    _later(clock, slow_app, minutes=10)
    time.sleep(TIMEOUT + 0.5)  # the fake records the message once its slow answer is written

    assert fake_google.accepted_tokens() == {"slow-phone": 1}
    assert _deliveries(notification_id) == ["unknown"]
    notification = _row(notification_id)
    assert notification.status == "sent" and notification.attempts == 1
    assert "push outcome unknown for 1 device copies" in caplog.text


def test_a_failed_commit_after_the_send_is_not_sent_again(
    firebase_app, fake_google: FakeGoogle, clock, monkeypatch, caplog
):
    clock.set(T0)
    notification_id = _write(["phone-a", "phone-b"])

    def counted(outcome: str) -> float:
        labels = {"category": "affirmation", "outcome": outcome}
        return REGISTRY.get_sample_value("hearth_push_deliveries_total", labels) or 0.0

    sent_before, unknown_before = counted("sent"), counted("unknown")

    # The database goes away at the COMMIT that records FCM's answers.
    real_record = delivery._record

    def commit_fails(session, claim, results):
        def lost() -> None:
            raise RuntimeError("server closed the connection unexpectedly")

        session.commit = lost
        try:
            real_record(session, claim, results)
        finally:
            del session.commit  # the class's own again

    monkeypatch.setattr(delivery, "_record", commit_fails)
    with pytest.raises(RuntimeError):
        delivery.deliver([notification_id])
    monkeypatch.setattr(delivery, "_record", real_record)
    assert fake_google.accepted_tokens() == {"phone-a": 1, "phone-b": 1}
    assert _deliveries(notification_id) == ["sending", "sending"]

    # Within the lease nothing touches it; after it, the attempts become unknown.
    sweep_pending()
    delivery.deliver([notification_id])
    assert _row(notification_id).status == "pending"
    _later(clock, firebase_app, minutes=3)

    assert fake_google.accepted_tokens() == {"phone-a": 1, "phone-b": 1}
    assert _deliveries(notification_id) == ["unknown", "unknown"]
    notification = _row(notification_id)
    assert notification.status == "sent"
    assert notification.deliver_after == T0 + delivery.send_lease(
        firebase_app.extensions["hearth_config"]
    )
    assert "push outcome unknown for 2 device copies" in caplog.text
    # ... and counted once each, as the `unknown` outcome of the deliveries metric: never as
    # `sent` too by the run whose COMMIT failed.
    assert (counted("sent"), counted("unknown")) == (sent_before, unknown_before + 2)


def test_a_transient_error_is_retried_only_on_the_devices_fcm_refused(
    firebase_app, fake_google: FakeGoogle, clock
):
    clock.set(T0)
    notification_id = _write(["took-it", "busy"])
    fake_google.answer_token("busy", "UNAVAILABLE", times=1)

    run_queued_jobs(firebase_app)
    assert _deliveries(notification_id) == ["sent"]  # the refused attempt is forgotten
    _later(clock, firebase_app, minutes=2)

    assert fake_google.accepted_tokens() == {"took-it": 1, "busy": 1}
    assert _deliveries(notification_id) == ["sent", "sent"]


def test_a_device_deleted_while_its_batch_is_planned_is_skipped(
    firebase_app, fake_google: FakeGoogle, clock, monkeypatch
):
    clock.set(T0)
    notification_id = _write(["stays", "goes"])
    real_insert = delivery._insert_attempts

    def delete_one_first(session, pairs):
        from api.devices.models import Device

        session.execute(Device.__table__.delete().where(Device.token == "goes"))
        return real_insert(session, pairs)

    monkeypatch.setattr(delivery, "_insert_attempts", delete_one_first)
    run_queued_jobs(firebase_app)

    assert fake_google.accepted_tokens() == {"stays": 1}
    assert _deliveries(notification_id) == ["sent"]
    assert _row(notification_id).status == "sent"


@pytest.mark.parametrize("code", ["UNREGISTERED", "THIRD_PARTY_AUTH_ERROR"])
def test_a_device_deleted_while_its_copy_is_in_flight_does_not_lose_the_batch(
    firebase_app, fake_google: FakeGoogle, clock, monkeypatch, code: str
):
    """The answers are recorded from what the claim kept, not from the device's row: a phone
    signed out mid-send (its row gone) made the record step reload it and fail, rolling back
    every answer of the batch (all then `unknown`, the transient ones never retried)."""
    clock.set(T0)
    gone = _write(["goes"], key="gone")
    retried = _write(["busy"], key="retried")
    fake_google.answer_token("goes", code)
    fake_google.answer_token("busy", "UNAVAILABLE", times=1)
    real_send = FirebaseSender.send

    def sign_out_mid_send(self, messages):
        results = real_send(self, messages)
        from api.devices.models import Device

        with db.engine.begin() as conn:  # another request, its own transaction
            conn.execute(Device.__table__.delete().where(Device.token == "goes"))
        return results

    monkeypatch.setattr(FirebaseSender, "send", sign_out_mid_send)
    delivery.deliver([gone, retried])
    monkeypatch.setattr(FirebaseSender, "send", real_send)

    assert _row(gone).status == "failed"
    assert _deliveries(gone) == []  # its attempt went with the device
    assert _row(retried).status == "pending" and _deliveries(retried) == []  # retried later
    _later(clock, firebase_app, minutes=3)
    assert _row(retried).status == "sent"
    assert fake_google.accepted_tokens() == {"busy": 1}


def _requests_error(error: Exception) -> fb_exceptions.FirebaseError:
    from firebase_admin import _utils

    return _utils.handle_requests_error(error)


@pytest.mark.parametrize(
    ("error", "unknown"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), True),
        (
            requests.exceptions.ConnectionError(
                ProtocolError("Connection aborted.", ConnectionResetError())
            ),
            True,
        ),
        (requests.exceptions.ConnectTimeout("connect timed out"), False),
        (
            requests.exceptions.ConnectionError(
                type("MaxRetry", (), {"reason": NewConnectionError(None, "refused")})()
            ),
            False,
        ),
    ],
)
def test_which_transport_errors_leave_the_outcome_unknown(error: Exception, unknown: bool):
    assert outcome_unknown(_requests_error(error)) is unknown


def test_an_fcm_answer_is_a_known_outcome():
    response = requests.Response()
    response.status_code = 503
    error = fb_exceptions.UnavailableError("busy", http_response=response)
    assert outcome_unknown(error) is False


def test_the_lease_outlasts_a_send():
    from api.config import Config

    lease = delivery.send_lease(Config(FCM_TIMEOUT_SECONDS=10))
    assert lease >= timedelta(seconds=3 * 10 * 2)


def test_copies_left_sending_by_a_dead_run_settle_when_the_push_is_switched_off(
    firebase_app, fake_google: FakeGoogle, clock, monkeypatch
):
    """The run dies after the send; before the lease is over the recipient switches the
    category off. The push is suppressed, and its copies that FCM may have taken are settled
    `unknown` (and counted so), not left `sending` for ever."""
    from api.users.models import User

    clock.set(T0)
    notification_id = _write(["phone-a", "phone-b"], key="switched-off")
    labels = {"category": "affirmation", "outcome": "unknown"}
    unknown_before = REGISTRY.get_sample_value("hearth_push_deliveries_total", labels) or 0.0

    def dies(session, claim, results):
        session.rollback()
        raise RuntimeError("worker killed")

    monkeypatch.setattr(delivery, "_record", dies)
    with pytest.raises(RuntimeError):
        delivery.deliver([notification_id])
    monkeypatch.undo()
    assert _deliveries(notification_id) == ["sending", "sending"]
    recipient = db.session.get(User, _row(notification_id).recipient_id)
    recipient.notify_affirmations = False
    db.session.commit()

    _later(clock, firebase_app, minutes=3)
    assert _row(notification_id).status == "suppressed"
    assert _deliveries(notification_id) == ["unknown", "unknown"]
    unknown_after = REGISTRY.get_sample_value("hearth_push_deliveries_total", labels)
    assert unknown_after == unknown_before + 2
