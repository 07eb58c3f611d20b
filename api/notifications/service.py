"""The outbox: write notification rows in the caller's transaction, deliver after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from api import queue
from api.clock import now
from api.db_utils import insert_ignore, insert_many_ignore
from api.notifications import categories
from api.notifications.models import Notification

_OUTBOX_KEY = "hearth_outbox"


def notify(
    session: Session,
    *,
    recipient_id: int,
    category: str,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    dedupe_key: str,
    deliver_after: datetime | None = None,
    collapse_key: str | None = None,
    ttl_seconds: int | None = None,
) -> int | None:
    """Write one notification (None if its dedupe_key exists); delivery is enqueued on commit."""
    values = _row(
        recipient_id=recipient_id,
        category=category,
        title=title,
        body=body,
        data=data,
        dedupe_key=dedupe_key,
        deliver_after=deliver_after,
        collapse_key=collapse_key,
        ttl_seconds=ttl_seconds,
    )
    # ON CONFLICT DO NOTHING: two writers of the same event race safely.
    notification_id = insert_ignore(session, Notification, values, conflict_on=["dedupe_key"])
    if notification_id is not None:
        session.info.setdefault(_OUTBOX_KEY, []).append(notification_id)
    return notification_id


def notify_many(session: Session, notifications: list[dict[str, Any]]) -> list[int]:
    """Write many notifications in one statement (for the clock's batches); returns new ids.

    Each dict takes notify()'s keyword arguments; one whose dedupe_key exists is skipped.
    Delivery of the new ones is enqueued on commit, like notify()'s.
    """
    ids = insert_many_ignore(
        session, Notification, [_row(**n) for n in notifications], conflict_on=["dedupe_key"]
    )
    if ids:
        session.info.setdefault(_OUTBOX_KEY, []).extend(ids)
    return ids


def _row(
    *,
    recipient_id: int,
    category: str,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    dedupe_key: str,
    deliver_after: datetime | None = None,
    collapse_key: str | None = None,
    ttl_seconds: int | None = None,
) -> dict[str, Any]:
    categories.get(category)  # an unknown category is a bug: fail loudly, in the caller's tx
    moment = now()
    return {
        "recipient_id": recipient_id,
        "category": category,
        "title": title,
        "body": body,
        "data": data or {},
        "dedupe_key": dedupe_key,
        "status": "pending",
        "deliver_after": deliver_after or moment,
        "collapse_key": collapse_key,
        "ttl_seconds": ttl_seconds,
        "attempts": 0,
        "created_at": moment,
    }


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop(_OUTBOX_KEY, None)
    if ids:
        queue.enqueue(queue.DELIVER_JOB, ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_OUTBOX_KEY, None)


def mark_read(session: Session, *, user_id: int, up_to_id: int) -> int:
    """Mark the user's notifications up to and including up_to_id read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.recipient_id == user_id,
            Notification.id <= up_to_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now())
    )
    return result.rowcount or 0
