"""The delivery job: outbox rows -> pushes to each of the recipient's devices."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.clock import now
from api.config import Config
from api.db_utils import for_update_skip_locked
from api.devices.models import Device
from api.extensions import db
from api.notifications import categories
from api.notifications.models import (
    PENDING,
    SENT,
    SUPPRESSED,
    Delivery,
    Notification,
)
from api.notifications.quiet_hours import quiet_until
from api.users.models import User
from workers.app import job_app
from workers.push import PushMessage, PushResult, PushSender, get_sender

log = logging.getLogger(__name__)


def deliver(notification_ids: list[int]) -> None:
    """Deliver each pending, due notification once; safe to run twice."""
    app = job_app()
    with app.app_context():
        config: Config = app.extensions["hearth_config"]
        sender = get_sender(config)
        try:
            for notification_id in notification_ids:
                deliver_one(db.session, sender, notification_id)
        finally:
            db.session.remove()


def deliver_one(session: Session, sender: PushSender, notification_id: int) -> None:
    """Deliver one notification, holding its row lock so no other worker sends it meanwhile."""
    notification = session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .with_for_update(**for_update_skip_locked(session))
    )
    if notification is None or notification.status != PENDING:
        session.rollback()
        return
    moment = now()
    if notification.deliver_after > moment:
        session.rollback()  # not due yet: the sweep enqueues it when it is
        return
    recipient = session.get(User, notification.recipient_id)
    category = categories.get(notification.category)
    if recipient is None:
        session.rollback()
        return
    if not getattr(recipient, f"notify_{category.preference}"):
        _finish(session, notification, SUPPRESSED, f"{category.preference} switched off")
        return
    held_until = _quiet_hours_end(recipient, category, moment)
    if held_until is not None:
        notification.deliver_after = held_until
        session.commit()
        return
    _push(session, sender, notification, category)


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
    session: Session, sender: PushSender, notification: Notification, category: categories.Category
) -> None:
    took = set(
        session.scalars(
            select(Delivery.device_id).where(
                Delivery.notification_id == notification.id, Delivery.status == SENT
            )
        )
    )
    devices = [
        d
        for d in session.scalars(select(Device).where(Device.user_id == notification.recipient_id))
        if d.id not in took
    ]
    if not devices:
        if took:
            _finish(session, notification, SENT, None)
        else:
            _finish(session, notification, SUPPRESSED, "no registered device")
        return
    messages = [_message(notification, category, device) for device in devices]
    notification.attempts += 1
    results = sender.send(messages)
    _record(session, notification, results)


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
    )


def _record(session: Session, notification: Notification, results: list[PushResult]) -> None:
    any_ok = False
    for result in results:
        if result.ok:
            any_ok = True
            session.add(
                Delivery(
                    notification_id=notification.id,
                    device_id=result.device_id,
                    status=SENT,
                    fcm_message_id=result.message_id,
                )
            )
    if any_ok:
        notification.status = SENT
        notification.sent_at = now()
    else:
        codes = sorted({r.error_code or "unknown" for r in results})
        notification.last_error = ", ".join(codes)[:500]
    session.commit()


def _finish(session: Session, notification: Notification, status: str, reason: str | None) -> None:
    notification.status = status
    notification.last_error = reason
    if status == SENT:
        notification.sent_at = now()
    session.commit()
