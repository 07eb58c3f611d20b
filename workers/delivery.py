"""The delivery job: outbox rows -> pushes to each of the recipient's devices.

What each FCM answer does (issue 7, after FCM's error reference):

- UNREGISTERED, SENDER_ID_MISMATCH, INVALID_ARGUMENT blamed on the token: the device is
  deleted (the app registers a fresh token on its next start).
- INVALID_ARGUMENT about the message: a bug on our side. The notification is finished at once
  (failed, unless a device already took it) and logged as an error.
- THIRD_PARTY_AUTH_ERROR: the APNs / Web Push credentials in the Firebase console are wrong.
  That device's copy fails for good, logged loudly; other devices still get theirs.
- QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL (and a failed connect, a refused OAuth token, any
  other answer): transient. Only the devices that failed are retried, after an exponential
  backoff with jitter that is never shorter than FCM's Retry-After, at most MAX_ATTEMPTS runs.
- No answer although the request may have reached FCM (a read timeout, a connection cut
  mid-answer): the outcome is unknown, and that device is never sent it again.

The retry state lives in the notification row (status pending, attempts, deliver_after,
last_error), not in Redis, so it survives a lost queue or a killed worker; the clock's
`enqueue_due` job (workers/maintenance.py) enqueues it when it is due.

At most once per device (issue 16; docs/push.md): FCM has no idempotency key, so a copy whose
fate is unknown is never re-sent. A `sending` Delivery row per (notification, device) is
committed BEFORE the send, and its answer (sent, failed, unknown; or the row deleted for a
transient error, to be retried) right after; a device with any Delivery row is never sent
that notification again. A run killed in between leaves `sending` rows, which the next run
marks `unknown` (logged, counted) instead of sending them again. A notification ends `sent`
when at least one device took it (or may have), else `failed` with the reason kept.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, and_, bindparam, delete, event, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.clock import now
from api.config import Config
from api.db_utils import conflict_insert, execute_core, for_update_skip_locked, in_ids
from api.devices.models import Device
from api.extensions import UTCDateTime, db
from api.notifications import categories
from api.notifications.models import (
    FAILED,
    PENDING,
    SENT,
    SUPPRESSED,
    Delivery,
    Notification,
)
from api.notifications.payload import push_data
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

# Delivery.status values of the at-most-once rule (besides sent and failed):
# the attempt is committed before the send ...
SENDING = "sending"
# ... and it ends `unknown` when its answer was never learned (timeout, or the run died).
UNKNOWN = "unknown"


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
    unknown: int = 0
    transient: list[PushResult] = field(default_factory=list)
    fatal: str | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Attempt:
    """One (notification, device) copy whose attempt is recorded before it is sent.

    Plain values, no ORM object: the claim's COMMIT expires objects, and a device deleted
    during the send (a sign-out) could then not be read back to record its answer.
    """

    delivery_id: int
    notification_id: int
    platform: str  # the device's, for the log
    message: PushMessage  # device_id and token included


@dataclass
class _Settling:
    """A notification as step 3 settles it: the columns it reads under the lock and writes."""

    id: int
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    deliver_after: datetime | None = None  # set from the claim: its value before the lease


@dataclass
class _Claim:
    """What phase 1 committed: the attempts to send, and what each notification had before."""

    attempts: list[_Attempt] = field(default_factory=list)
    # notification id -> (its deliver_after before the lease, device id -> earlier status)
    before: dict[int, tuple[datetime, dict[int, str]]] = field(default_factory=dict)


def send_lease(config: Config) -> timedelta:
    """How long a run may take to send a batch and record it before its rows are due again.

    A send is bounded by the HTTP timeout: a connect try, one connect retry, the read, and as
    much again for the OAuth token. Only a dead (or hung past this) run lets it run out.
    """
    return timedelta(seconds=6 * config.FCM_TIMEOUT_SECONDS + 10)


def deliver_batch(
    session: Session,
    sender: PushSender,
    notification_ids: list[int],
    lease: timedelta | None = None,
) -> None:
    """Deliver what is due of the batch, in three steps: claim, send, record.

    1. Lock the batch's pending rows (FOR UPDATE SKIP LOCKED), settle what needs no send
       (switched off, held for quiet hours, no device left), write one `sending` Delivery per
       device about to be sent, push the rows' deliver_after past a lease, and COMMIT.
    2. Send, holding no lock and no transaction.
    3. Lock the rows again, record each device's answer, settle each notification, COMMIT.

    A run that dies between 1 and 3 (SIGKILL, a failed COMMIT) leaves `sending` rows: when
    the lease is over the next run marks them `unknown` and never sends those devices that
    notification again (at most once per device, docs/push.md).
    """
    if lease is None:
        lease = send_lease(current_app.extensions["hearth_config"])
    claim = _claim(session, notification_ids, lease)
    if not claim.attempts:
        return
    try:
        results = sender.send([a.message for a in claim.attempts])
        if len(results) != len(claim.attempts):
            raise RuntimeError(
                f"sender answered {len(results)} results for {len(claim.attempts)} messages"
            )
    except Exception:
        # Whatever reached FCM is unknown: the `sending` rows stay, the lease settles them.
        log.exception("push batch of %d messages failed mid-send", len(claim.attempts))
        raise
    try:
        _record(session, claim, results)
    except Exception:
        session.rollback()
        raise


def _claim(session: Session, notification_ids: list[int], lease: timedelta) -> _Claim:
    """Step 1: settle what needs no send, record the attempts about to be made, commit."""
    claim = _Claim()
    # By primary key alone, status checked here: with `status = 'pending'` in the WHERE,
    # PostgreSQL read all pending rows through ix_notifications_due whenever its statistics
    # said few were pending, which they do after a fan-out (10,000 new rows in a table of
    # millions) until the next ANALYZE: every batch of 100 walked the whole fan-out.
    rows = session.scalars(
        select(Notification)
        .where(in_ids(session, Notification.id, notification_ids))
        .order_by(Notification.id)
        .with_for_update(**for_update_skip_locked(session))
    )
    moment = now()
    due = [n for n in rows if n.status == PENDING and n.deliver_after <= moment]
    if not due:
        session.rollback()  # nothing due: the clock enqueues the rest when it is
        return claim
    recipient_ids = {n.recipient_id for n in due}
    users = {
        u.id: u
        for u in session.execute(select(*_RECIPIENT).where(in_ids(session, User.id, recipient_ids)))
    }
    sendable: list[tuple[Notification, categories.Category]] = []
    stopped: list[Notification] = []  # settled here without a send
    for notification in due:
        recipient = users.get(notification.recipient_id)
        category = categories.get(notification.category)
        if recipient is None:
            continue  # erased meanwhile: its notifications go with it
        if notification.couple_id is not None and notification.couple_id != recipient.couple_id:
            # About a couple the recipient has left: written by the partner as the couple
            # unpaired (after the unpair suppressed what was pending), or held back by quiet
            # hours or a retry until after the recipient paired anew. It stays in the feed,
            # never pushed (as unpairing promises).
            _count(session, notification.category, "suppressed")
            _finish(notification, SUPPRESSED, "couple unpaired", moment)
            stopped.append(notification)
            continue
        if not getattr(recipient, f"notify_{category.preference}"):
            _count(session, notification.category, "suppressed")
            _finish(notification, SUPPRESSED, f"{category.preference} switched off", moment)
            stopped.append(notification)
            continue
        held_until = _quiet_hours_end(recipient, category, moment)
        if held_until is not None:
            notification.deliver_after = held_until
            continue
        sendable.append((notification, category))
    if sendable:
        _plan(session, sendable, moment, lease, claim)
    _settle_abandoned(session, stopped)
    session.commit()
    return claim


def _settle_abandoned(session: Session, notifications: list[Notification]) -> None:
    """The `sending` copies a dead run left of notifications settled without a send: unknown,
    and counted so (as _plan does for those still to send). One statement per batch that
    settled any."""
    if not notifications:
        return
    turned = session.scalars(
        update(Delivery)
        .where(
            in_ids(session, Delivery.notification_id, [n.id for n in notifications]),
            Delivery.status == SENDING,
        )
        .values(status=UNKNOWN)
        .returning(Delivery.notification_id)
        .execution_options(synchronize_session=False)
    ).all()
    if turned:
        count_unknown(len(turned), "the run that sent them ended before recording the answer")
        category_of = {n.id: n.category for n in notifications}
        for notification_id in turned:
            _count(session, category_of[notification_id], UNKNOWN)


# What the claim reads of each recipient (columns, not User objects: a batch loads a hundred).
_RECIPIENT = (
    User.id,
    User.couple_id,
    User.timezone,
    User.quiet_hours_start,
    User.quiet_hours_end,
    *(getattr(User, f"notify_{name}") for name in categories.PREFERENCES),
)


def _quiet_hours_end(
    user: Row[Any], category: categories.Category, moment: datetime
) -> datetime | None:
    if not category.partner_triggered:
        return None
    if user.quiet_hours_start is None or user.quiet_hours_end is None:
        return None
    return quiet_until(
        moment, start=user.quiet_hours_start, end=user.quiet_hours_end, tz=user.timezone
    )


def _plan(
    session: Session,
    sendable: list[tuple[Notification, categories.Category]],
    moment: datetime,
    lease: timedelta,
    claim: _Claim,
) -> None:
    """Write a `sending` Delivery for every device each notification still owes; lease them."""
    ids = [n.id for n, _ in sendable]
    devices: dict[int, list[Row[Any]]] = {}
    recipient_ids = {n.recipient_id for n, _ in sendable}
    for device in session.execute(
        select(Device.id, Device.user_id, Device.token, Device.platform)
        .where(in_ids(session, Device.user_id, recipient_ids))
        .order_by(Device.id)
    ):
        devices.setdefault(device.user_id, []).append(device)
    # Every device that already has this notification's answer, or an attempt: never sent again.
    done: dict[int, dict[int, str]] = {}
    abandoned: list[int] = []
    abandoned_of: list[int] = []  # each abandoned row's notification
    for delivery_id, notification_id, device_id, status in session.execute(
        select(Delivery.id, Delivery.notification_id, Delivery.device_id, Delivery.status).where(
            in_ids(session, Delivery.notification_id, ids)
        )
    ):
        if status == SENDING:
            # A run claimed it and never recorded the answer (it died, or its COMMIT failed):
            # its lease is over, as the row is due again. FCM may have taken it.
            abandoned.append(delivery_id)
            abandoned_of.append(notification_id)
            status = UNKNOWN
        done.setdefault(notification_id, {})[device_id] = status
    if abandoned:
        session.execute(
            update(Delivery)
            .where(in_ids(session, Delivery.id, abandoned))
            .values(status=UNKNOWN)
            .execution_options(synchronize_session=False)  # no Delivery object is loaded
        )
        count_unknown(len(abandoned), "the run that sent them ended before recording the answer")
        # The run that sent them never counted them (it died, or its COMMIT failed: counts
        # are made only once the answer is committed): counted here, once, as the rows turn
        # unknown (docs/push.md: the metric's `unknown` outcome).
        category_of = {n.id: n.category for n, _ in sendable}
        for notification_id in abandoned_of:
            _count(session, category_of[notification_id], UNKNOWN)

    wanted: list[tuple[Notification, categories.Category, Row[Any]]] = []
    for notification, category in sendable:
        answered = done.get(notification.id, {})
        remaining = [d for d in devices.get(notification.recipient_id, []) if d.id not in answered]
        if not remaining:
            _finish_without_sending(session, notification, answered, moment)
            continue
        wanted.extend((notification, category, device) for device in remaining)
    if not wanted:
        return
    delivery_ids = _insert_attempts(session, [(n.id, d.id) for n, _, d in wanted])
    leased: dict[int, Notification] = {}
    for notification, category, device in wanted:
        delivery_id = delivery_ids.get((notification.id, device.id))
        if delivery_id is None:
            continue  # the device was deleted meanwhile (or another run holds its attempt)
        message = _message(notification, category, device)
        claim.attempts.append(_Attempt(delivery_id, notification.id, device.platform, message))
        if notification.id not in leased:
            leased[notification.id] = notification
            claim.before[notification.id] = (
                notification.deliver_after,
                done.get(notification.id, {}),
            )
    if leased:
        # Not due again (sweep, enqueue_due, a duplicate job) until the lease is over: one
        # UPDATE for the batch (setting it on each object flushed a hundred). A Core UPDATE:
        # the ORM's "evaluate" cannot read `= ANY(...)` (in_ids); the objects get the new
        # value as their loaded one instead, so that no flush writes it again.
        table = Notification.__table__
        session.execute(
            table.update()
            .where(in_ids(session, table.c.id, leased))
            .values(deliver_after=moment + lease)
        )
        for notification in leased.values():
            set_committed_value(notification, "deliver_after", moment + lease)
    for notification, _ in sendable:
        if notification.id not in leased and notification.status == PENDING:
            _finish_without_sending(session, notification, done.get(notification.id, {}), moment)


def _insert_attempts(session: Session, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Insert a `sending` Delivery per (notification, device) pair; their ids by pair.

    One INSERT ... SELECT for the whole batch, joining each notification to its recipient's
    devices: a device deleted since it was read is simply left out, and ON CONFLICT DO
    NOTHING leaves out a pair that already has a row. The join is narrowed by two id lists
    rather than a list of (notification, device) rows, which PostgreSQL planned as a scan of
    every pair (11 ms a batch of 100 in bench/push.py): it yields the same pairs, because
    each notification is joined only to its own recipient's devices, and a pair of the two
    lists that is not in `pairs` already has its Delivery row (that is why it was left out).
    """
    source = select(
        Notification.id,
        Device.id,
        literal(SENDING).label("status"),
        literal(now(), UTCDateTime()).label("created_at"),
    ).where(
        Device.user_id == Notification.recipient_id,
        in_ids(session, Notification.id, {n for n, _ in pairs}),
        in_ids(session, Device.id, {d for _, d in pairs}),
    )
    stmt = (
        conflict_insert(session.get_bind().dialect.name)(Delivery)
        .from_select(["notification_id", "device_id", "status", "created_at"], source)
        .on_conflict_do_nothing(index_elements=["notification_id", "device_id"])
        .returning(Delivery.id, Delivery.notification_id, Delivery.device_id)
    )
    return {
        (notification_id, device_id): delivery_id
        for delivery_id, notification_id, device_id in execute_core(session, stmt)
    }


def _record(session: Session, claim: _Claim, results: list[PushResult]) -> None:
    """Step 3: lock the rows again, record each device's answer, settle each notification."""
    moment = now()
    table = Notification.__table__
    # The rows as they are now, under the lock: the columns settling reads and writes, as
    # plain values (loading and flushing a hundred ORM objects was a sixth of a batch's CPU).
    rows = {
        row.id: _Settling(*row)
        for row in session.execute(
            select(
                table.c.id, table.c.status, table.c.attempts, table.c.last_error, table.c.sent_at
            )
            .where(in_ids(session, table.c.id, claim.before))
            .order_by(table.c.id)
            .with_for_update()
        )
    }
    outcomes: dict[int, _Outcome] = {}
    updates: list[dict[str, object]] = []
    forget: list[int] = []
    dropped: list[tuple[int, str]] = []
    for attempt, result in zip(claim.attempts, results, strict=True):
        outcome = outcomes.setdefault(attempt.notification_id, _Outcome())
        _apply(attempt, result, outcome, updates, forget, dropped)
        label = _outcome_label(result, result.error_code or "UNKNOWN")
        _count(session, attempt.message.category, label)
    if updates:
        deliveries = Delivery.__table__
        # One statement per answer, by id: a row deleted meanwhile (its device or its
        # notification is gone) matches nothing and is skipped.
        session.execute(
            deliveries.update()
            .where(deliveries.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                fcm_message_id=bindparam("b_message_id"),
                error=bindparam("b_error"),
            ),
            updates,
        )
    if forget:
        # Transient failures: FCM did not take it, so the retry may send that device again.
        session.execute(
            delete(Delivery)
            .where(in_ids(session, Delivery.id, forget))
            .execution_options(synchronize_session=False)
        )
    if dropped:
        # Match the token too: a phone that re-registered meanwhile keeps its new token.
        session.execute(
            delete(Device).where(
                or_(*(and_(Device.id == i, Device.token == t) for i, t in dropped))
            )
        )
    unknown = sum(o.unknown for o in outcomes.values())
    if unknown:
        count_unknown(unknown, "FCM did not answer in time")
    settled: list[dict[str, object]] = []
    for notification_id, outcome in outcomes.items():
        row = rows.get(notification_id)
        if row is None or row.status != PENDING:
            continue  # deleted meanwhile, or settled by a run that came after the lease
        row.deliver_after, answered = claim.before[notification_id]
        _settle(row, answered, outcome, moment)
        settled.append(
            {
                "s_id": row.id,
                "s_status": row.status,
                "s_attempts": row.attempts,
                "s_last_error": row.last_error,
                "s_sent_at": row.sent_at,
                "s_deliver_after": row.deliver_after,
            }
        )
    if settled:
        # One statement per notification, by id, all of them in one executemany.
        session.execute(
            table.update()
            .where(table.c.id == bindparam("s_id"))
            .values(
                status=bindparam("s_status"),
                attempts=bindparam("s_attempts"),
                last_error=bindparam("s_last_error"),
                sent_at=bindparam("s_sent_at"),
                deliver_after=bindparam("s_deliver_after"),
            ),
            settled,
        )
    session.commit()


def count_unknown(count: int, why: str) -> None:
    """Count pushes whose outcome is unknown: logged here, and kept as `unknown` deliveries."""
    log.warning(
        "push outcome unknown for %d device copies (%s); not re-sent (at most once per device)",
        count,
        why,
    )


def _apply(
    attempt: _Attempt,
    result: PushResult,
    outcome: _Outcome,
    updates: list[dict[str, object]],
    forget: list[int],
    dropped: list[tuple[int, str]],
) -> None:
    """Record one device's answer."""
    code = result.error_code or "UNKNOWN"
    device_id = attempt.message.device_id

    def record(status: str, message_id: str | None = None, error: str | None = None) -> None:
        updates.append(
            {
                "b_id": attempt.delivery_id,
                "b_status": status,
                "b_message_id": (message_id or "")[:200] or None,
                "b_error": error[:200] if error else None,
            }
        )

    if result.ok:
        outcome.took += 1
        record(SENT, message_id=result.message_id)
    elif result.outcome_unknown:
        # The request may have reached FCM (a read timeout, a connection cut mid-answer):
        # resending could double it on the phone, so this device is not sent it again.
        outcome.unknown += 1
        outcome.reasons.append(code)
        record(UNKNOWN, error=result.detail or code)
    elif code in DROP_TOKEN_CODES or (code == INVALID_ARGUMENT and result.invalid_token):
        log.info("device %s dropped: FCM said %s", device_id, code)
        dropped.append((device_id, attempt.message.token))
        outcome.reasons.append(code)
        forget.append(attempt.delivery_id)
    elif code == INVALID_ARGUMENT:
        # The same payload goes to every device: FCM refusing it is our bug, not theirs.
        log.error(
            "BUG: FCM refused notification %s (%s) as INVALID_ARGUMENT: %s",
            attempt.notification_id,
            attempt.message.category,
            result.detail,
        )
        outcome.fatal = result.detail or code
        record(FAILED, error=result.detail or code)
    elif code == THIRD_PARTY_AUTH_ERROR:
        log.critical(
            "FCM THIRD_PARTY_AUTH_ERROR for device %s (%s): the APNs key / Web Push "
            "credentials in the Firebase console are missing or wrong: %s",
            device_id,
            attempt.platform,
            result.detail,
        )
        outcome.reasons.append(code)
        record(FAILED, error=result.detail or code)
    else:
        outcome.transient.append(result)
        outcome.reasons.append(code)
        forget.append(attempt.delivery_id)


def _outcome_label(result: PushResult, code: str) -> str:
    """The hearth_push_deliveries_total outcome of one device's answer."""
    if result.ok:
        return "sent"
    if result.outcome_unknown:
        return "unknown"  # may have reached the phone; never sent again (docs/push.md)
    if code in DROP_TOKEN_CODES or (code == INVALID_ARGUMENT and result.invalid_token):
        return "token_dropped"
    if code == INVALID_ARGUMENT:
        return "rejected"
    if code == THIRD_PARTY_AUTH_ERROR:
        return "auth_error"
    return "transient"


def _settle(
    notification: _Settling, answered: dict[int, str], outcome: _Outcome, moment: datetime
) -> None:
    """The notification's status after this run: sent, failed, or pending a retry."""
    notification.attempts += 1
    # A copy whose outcome is unknown most likely reached the phone (FCM took it, the
    # answer was lost): it counts as taken, and is never sent again.
    took_before = any(status in (SENT, UNKNOWN) for status in answered.values())
    took = took_before or outcome.took > 0 or outcome.unknown > 0
    if (outcome.took or outcome.unknown) and notification.sent_at is None:
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
    session: Session, notification: Notification, answered: dict[int, str], moment: datetime
) -> None:
    if any(status == SENT for status in answered.values()):
        _finish(notification, SENT, notification.last_error, moment)
    elif UNKNOWN in answered.values():
        _finish(notification, SENT, "outcome unknown: the answer from FCM was lost", moment)
    elif answered:
        _finish(notification, FAILED, notification.last_error or "no device took it", moment)
    elif notification.attempts:
        # Every device it was tried on has since been dropped (e.g. unregistered).
        _finish(notification, FAILED, notification.last_error or "no device left", moment)
    else:
        _count(session, notification.category, "suppressed")
        _finish(notification, SUPPRESSED, "no registered device", moment)


def _message(
    notification: Notification, category: categories.Category, device: Row[Any]
) -> PushMessage:
    """The push of notification to device (a row of its id and token)."""
    data = push_data(
        category=notification.category, notification_id=notification.id, data=notification.data
    )
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


def _finish(
    notification: Notification | _Settling, status: str, reason: str | None, moment: datetime
) -> None:
    notification.status = status
    notification.last_error = reason[:500] if reason else None
    if status == SENT and notification.sent_at is None:
        notification.sent_at = moment


_COUNTS_KEY = "hearth_push_counts"


def _count(session: Session, category: str, outcome: str) -> None:
    """Count a push copy's outcome in hearth_push_deliveries_total once session commits.

    Not before: a failed COMMIT leaves the rows as they were, and the run that redoes them
    counts them then (an answer counted twice, as sent and then as unknown, misled the
    dashboards).
    """
    session.info.setdefault(_COUNTS_KEY, []).append((category, outcome))


@event.listens_for(Session, "after_commit")
def _counted_after_commit(session: Session) -> None:
    # One increment per (category, outcome), not per copy: a batch's hundred are one or two.
    for (category, outcome), count in Counter(session.info.pop(_COUNTS_KEY, ())).items():
        PUSH_DELIVERIES.labels(category, outcome).inc(count)


@event.listens_for(Session, "after_soft_rollback")
def _not_counted_after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_COUNTS_KEY, None)
