"""The outbox: every push Hearth sends (or would have) is a row here first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.clock import now
from api.extensions import db

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
# In the feed but not pushed: the category is switched off, or no device took it.
SUPPRESSED = "suppressed"


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_feed", "recipient_id", "id"),
        Index("ix_notifications_due", "status", "deliver_after"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The couple the push is about (NULL: pairing's own pushes). Delivery sends it only while
    # the recipient is in that couple, whatever happened meanwhile: unpaired, or paired anew.
    # No foreign key: the couple's purge deletes its rows itself (api/pairing/service.py).
    couple_id: Mapped[int | None]
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Decides "at most once": the same event can never be written twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    deliver_after: Mapped[datetime] = mapped_column(default=now)
    collapse_key: Mapped[str | None] = mapped_column(String(100))
    ttl_seconds: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]


class Delivery(db.Model):
    """One device's copy of a notification; the unique pair keeps it to one copy per device."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "device_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    fcm_message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now)
