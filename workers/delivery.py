"""The delivery job: outbox rows -> pushes to each of the recipient's devices.

What each FCM answer does (issue 7, after FCM's error reference):

- UNREGISTERED, SENDER_ID_MISMATCH, INVALID_ARGUMENT blamed on the token: the device is
  deleted (the app registers a fresh token on its next start).
- INVALID_ARGUMENT about the message: a bug on our side. The notification is finished at once
  (failed, unless a device already took it) and logged as an error.
- THIRD_PARTY_AUTH_ERROR: the APNs / Web Push credentials in the Firebase console are wrong.
  That device's copy fails for good, logged loudly; other devices still get theirs.
- QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL (and timeouts, a refused OAuth token, anything
  unknown): transient. Only the devices that failed are retried, after an exponential backoff
  with jitter that is never shorter than FCM's Retry-After, at most MAX_ATTEMPTS runs.

The retry state lives in the notification row (status pending, attempts, deliver_after,
last_error), not in Redis, so it survives a lost queue or a killed worker; the clock's
`enqueue_due` job (workers/maintenance.py) enqueues it when it is due.

A notification ends `sent` when at least one device took it, else `failed` with the reason
kept. A Delivery row per (notification, device) is written in the same commit as the batch's
outcome, and a device with a Delivery row is never sent that notification again.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from api.clock import now
from api.config import Config
from api.db_utils import for_update_skip_locked
from api.devices.models import Device
from api.extensions import db
from api.notifications import categories
from api.notifications.models import (
    FAILED,
    PENDING,
    SENT,
    SUPPRESSED,
    Delivery,
    Notification,
)
from api.notifications.quiet_hours import quiet_until
from api.observability.metrics import PUSH_DELIVERIES
from api.users.models import User
from workers.app import job_app
from workers.push import (
    INVALID_ARGUMENT,
    SENDER_ID_MISMATCH,
    THIRD_PARTY_AUTH_ERROR,
    UNREGISTERED,
    PushMessage,
    PushResult,
    PushSender,
    get_sender,
)

log = logging.getLogger(__name__)

# Notifications locked, sent (one send_each) and committed together: at most this many rows
# are held while FCM answers, and a worker killed mid-job re-sends at most one batch's worth.
# 100 measured as fast as 250 or 500 (bench/push.py) and fits the FCM connection pool.
BATCH_SIZE = 100
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)

DROP_TOKEN_CODES = frozenset({UNREGISTERED, SENDER_ID_MISMATCH})


def deliver(notification_ids: list[int]) -> None:
    """Deliver each pending, due notification once; safe to run twice, or concurrently."""
    app = job_app()
    with app.app_context():
        config: Config = app.extensions["hearth_config"]
        sender = get_sender(config)
        ids = sorted(set(notification_ids))
        log.info("delivering %d notification(s): %s", len(ids), ids[:20])
        try:
            for start in range(0, len(ids), BATCH_SIZE):
                deliver_batch(db.session, sender, ids[start : start + BATCH_SIZE])
        finally:
            db.session.remove()


def deliver_one(session: Session, sender: PushSender, notification_id: int) -> None:
    """Deliver one notification (see deliver_batch)."""
    deliver_batch(session, sender, [notification_id])


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait before retry number `attempts`: exponential, jittered, >= Retry-After."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    # Jitter in [ceiling/2, ceiling]: retries of many notifications do not stampede together.
    wait = ceiling * random.uniform(0.5, 1.0)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


@dataclass
class _Outcome:
    """What one run did for one notification."""

    took: int = 0
    transient: list[PushResult] = field(default_factory=list)
    fatal: str | None = None
    reasons: list[str] = field(default_factory=list)


def deliver_batch(session: Session, sender: PushSender, notification_ids: list[int]) -> None:
    """Lock the batch's pending rows, send what is due, record every answer, commit once.

    The rows stay locked (FOR UPDATE SKIP LOCKED on PostgreSQL) until the commit, so two
    workers never send the same notification at once; rows another worker holds are skipped.
    """
    rows = list(
        session.scalars(
            select(Notification)
            .where(Notification.id.in_(notification_ids), Notification.status == PENDING)
            .order_by(Notification.id)
            .with_for_update(**for_update_skip_locked(session))
        )
    )
    moment = now()
    due = [n for n in rows if n.deliver_after <= moment]
    if not due:
        session.rollback()  # nothing due: the clock enqueues the rest when it is
        return
    users = {
        u.id: u
        for u in session.scalars(select(User).where(User.id.in_({n.recipient_id for n in due})))
    }
    sendable: list[tuple[Notification, categories.Category]] = []
    for notification in due:
        recipient = users.get(notification.recipient_id)
        category = categories.get(notification.category)
        if recipient is None:
            continue
        if not getattr(recipient, f"notify_{category.preference}"):
            PUSH_DELIVERIES.labels(notification.category, "suppressed").inc()
            _finish(notification, SUPPRESSED, f"{category.preference} switched off", moment)
            continue
        held_until = _quiet_hours_end(recipient, category, moment)
        if held_until is not None:
            notification.deliver_after = held_until
            continue
        sendable.append((notification, category))
    if sendable:
        _push(session, sender, sendable, moment)
    session.commit()


def _quiet_hours_end(
    user: User, category: categories.Category, moment: datetime
) -> datetime | None:
    if not category.partner_triggered:
        return None
    if user.quiet_hours_start is None or user.quiet_hours_end is None:
        return None
    return quiet_until(
        moment, start=user.quiet_hours_start, end=user.quiet_hours_end, tz=user.timezone
    )


def _push(
    session: Session,
    sender: PushSender,
    sendable: list[tuple[Notification, categories.Category]],
    moment: datetime,
) -> None:
    ids = [n.id for n, _ in sendable]
    devices: dict[int, list[Device]] = {}
    recipient_ids = {n.recipient_id for n, _ in sendable}
    for device in session.scalars(
        select(Device).where(Device.user_id.in_(recipient_ids)).order_by(Device.id)
    ):
        devices.setdefault(device.user_id, []).append(device)
    # Every device that already has this notification's answer: never sent it again.
    done: dict[int, dict[int, str]] = {}
    for notification_id, device_id, status in session.execute(
        select(Delivery.notification_id, Delivery.device_id, Delivery.status).where(
            Delivery.notification_id.in_(ids)
        )
    ):
        done.setdefault(notification_id, {})[device_id] = status

    plan: list[tuple[Notification, Device]] = []
    messages: list[PushMessage] = []
    for notification, category in sendable:
        answered = done.get(notification.id, {})
        remaining = [d for d in devices.get(notification.recipient_id, []) if d.id not in answered]
        if not remaining:
            _finish_without_sending(notification, answered, moment)
            continue
        for device in remaining:
            plan.append((notification, device))
            messages.append(_message(notification, category, device))
    if not messages:
        return

    results = sender.send(messages)
    if len(results) != len(messages):
        raise RuntimeError(f"sender answered {len(results)} results for {len(messages)} messages")

    outcomes: dict[int, _Outcome] = {}
    dropped: list[tuple[int, str]] = []
    for (notification, device), result in zip(plan, results, strict=True):
        outcome = outcomes.setdefault(notification.id, _Outcome())
        _apply(session, notification, device, result, outcome, dropped)
    if dropped:
        # Match the token too: a phone that re-registered meanwhile keeps its new token.
        session.execute(
            delete(Device).where(
                or_(*(and_(Device.id == i, Device.token == t) for i, t in dropped))
            )
        )
    for notification, _ in sendable:
        outcome = outcomes.get(notification.id)
        if outcome is not None:
            _settle(notification, done.get(notification.id, {}), outcome, moment)


def _apply(
    session: Session,
    notification: Notification,
    device: Device,
    result: PushResult,
    outcome: _Outcome,
    dropped: list[tuple[int, str]],
) -> None:
    """Record one device's answer."""
    code = result.error_code or "UNKNOWN"
    PUSH_DELIVERIES.labels(notification.category, _outcome_label(result, code)).inc()
    if result.ok:
        outcome.took += 1
        session.add(
            Delivery(
                notification_id=notification.id,
                device_id=device.id,
                status=SENT,
                fcm_message_id=(result.message_id or "")[:200] or None,
            )
        )
    elif code in DROP_TOKEN_CODES or (code == INVALID_ARGUMENT and result.invalid_token):
        log.info("device %s dropped: FCM said %s", device.id, code)
        dropped.append((device.id, device.token))
        outcome.reasons.append(code)
    elif code == INVALID_ARGUMENT:
        # The same payload goes to every device: FCM refusing it is our bug, not theirs.
        log.error(
            "BUG: FCM refused notification %s (%s) as INVALID_ARGUMENT: %s",
            notification.id,
            notification.category,
            result.detail,
        )
        outcome.fatal = result.detail or code
        session.add(_failed_delivery(notification, device, result))
    elif code == THIRD_PARTY_AUTH_ERROR:
        log.critical(
            "FCM THIRD_PARTY_AUTH_ERROR for device %s (%s): the APNs key / Web Push "
            "credentials in the Firebase console are missing or wrong: %s",
            device.id,
            device.platform,
            result.detail,
        )
        outcome.reasons.append(code)
        session.add(_failed_delivery(notification, device, result))
    else:
        outcome.transient.append(result)
        outcome.reasons.append(code)


def _outcome_label(result: PushResult, code: str) -> str:
    """The hearth_push_deliveries_total outcome of one device's answer."""
    if result.ok:
        return "sent"
    if code in DROP_TOKEN_CODES or (code == INVALID_ARGUMENT and result.invalid_token):
        return "token_dropped"
    if code == INVALID_ARGUMENT:
        return "rejected"
    if code == THIRD_PARTY_AUTH_ERROR:
        return "auth_error"
    return "transient"


def _failed_delivery(notification: Notification, device: Device, result: PushResult) -> Delivery:
    return Delivery(
        notification_id=notification.id,
        device_id=device.id,
        status=FAILED,
        error=(result.detail or result.error_code or "UNKNOWN")[:200],
    )


def _settle(
    notification: Notification, answered: dict[int, str], outcome: _Outcome, moment: datetime
) -> None:
    """The notification's status after this run: sent, failed, or pending a retry."""
    notification.attempts += 1
    took_before = any(status == SENT for status in answered.values())
    took = took_before or outcome.took > 0
    if outcome.took and notification.sent_at is None:
        notification.sent_at = moment
    reason = ", ".join(sorted(set(outcome.reasons))) or None
    if outcome.fatal is not None:
        _finish(notification, SENT if took else FAILED, outcome.fatal, moment)
        return
    if outcome.transient:
        if notification.attempts >= MAX_ATTEMPTS:
            log.warning(
                "notification %s: giving up on %d device(s) after %d attempts: %s",
                notification.id,
                len(outcome.transient),
                notification.attempts,
                reason,
            )
            _finish(
                notification,
                SENT if took else FAILED,
                f"gave up after {notification.attempts} attempts: {reason}",
                moment,
            )
            return
        retry_after = max((r.retry_after or 0.0 for r in outcome.transient), default=0.0)
        notification.deliver_after = moment + backoff(notification.attempts, retry_after)
        notification.last_error = (reason or "")[:500]
        return
    _finish(notification, SENT if took else FAILED, None if took else reason, moment)


def _finish_without_sending(
    notification: Notification, answered: dict[int, str], moment: datetime
) -> None:
    if any(status == SENT for status in answered.values()):
        _finish(notification, SENT, notification.last_error, moment)
    elif answered:
        _finish(notification, FAILED, notification.last_error or "no device took it", moment)
    elif notification.attempts:
        # Every device it was tried on has since been dropped (e.g. unregistered).
        _finish(notification, FAILED, notification.last_error or "no device left", moment)
    else:
        PUSH_DELIVERIES.labels(notification.category, "suppressed").inc()
        _finish(notification, SUPPRESSED, "no registered device", moment)


def _message(
    notification: Notification, category: categories.Category, device: Device
) -> PushMessage:
    data = {str(k): str(v) for k, v in (notification.data or {}).items()}
    data.update(category=notification.category, notification_id=str(notification.id))
    return PushMessage(
        device_id=device.id,
        token=device.token,
        title=notification.title,
        body=notification.body,
        data=data,
        category=notification.category,
        channel_id=category.android_channel,
        collapse_key=notification.collapse_key if category.collapsible else None,
        ttl_seconds=notification.ttl_seconds if category.collapsible else None,
        priority=category.priority,
        notification_id=notification.id,
        recipient_id=notification.recipient_id,
    )


def _finish(notification: Notification, status: str, reason: str | None, moment: datetime) -> None:
    notification.status = status
    notification.last_error = reason[:500] if reason else None
    if status == SENT and notification.sent_at is None:
        notification.sent_at = moment
