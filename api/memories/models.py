"""Memories, their photos, the storage-delete outbox and the "on this day" schedule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.clock import now
from api.extensions import db

TITLE_MAX = 120
TEXT_MAX = 5000

PHOTO_PENDING = "pending"  # a presigned upload was handed out; not listed until confirmed
PHOTO_READY = "ready"  # confirmed: checked against the stored object, listed


def month_day(day: date) -> int:
    """The calendar day of a date as one number (Feb 29 -> 229): what "on this day" matches."""
    return day.month * 100 + day.day


class Memory(db.Model):
    """A shared "remember when": a titled day of the couple's past, maybe with photos."""

    __tablename__ = "memories"
    __table_args__ = (
        UniqueConstraint("couple_id", "client_id"),
        # The list: newest happened_on first, id breaking ties (the keyset of the cursor).
        Index("ix_memories_timeline", "couple_id", "happened_on", "id"),
        # "On this day": the couple's memories of one calendar day.
        Index("ix_memories_month_day", "couple_id", "happened_md"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # Erasure deletes the author's memories itself (their photos must leave the store too);
    # the cascade is the backstop that keeps a deleted user's words from surviving.
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    text: Mapped[str | None] = mapped_column(Text)
    happened_on: Mapped[date]
    happened_md: Mapped[int]
    client_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    photos: Mapped[list[MemoryPhoto]] = relationship(
        back_populates="memory",
        order_by="MemoryPhoto.id",
        passive_deletes=True,
        lazy="raise",  # the reads fold them into their SELECT (a JSON column), never one per row
    )


class MemoryPhoto(db.Model):
    """One photo of a memory: an object in storage, listed once its upload was confirmed."""

    __tablename__ = "memory_photos"
    __table_args__ = (
        Index("ix_memory_photos_memory", "memory_id", "status"),
        # The cleanup of unconfirmed uploads: pending rows by age.
        Index("ix_memory_photos_pending", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    memory_id: Mapped[int] = mapped_column(ForeignKey("memories.id", ondelete="CASCADE"))
    # Made by the API (memories/<couple>/<memory>/<random>), never by the client.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # Declared by the phone; after confirming, the type sniffed from the stored bytes.
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=PHOTO_PENDING)
    created_at: Mapped[datetime] = mapped_column(default=now)
    confirmed_at: Mapped[datetime | None]

    memory: Mapped[Memory] = relationship(back_populates="photos")


class StorageDeletion(db.Model):
    """Outbox of stored objects to delete: written with the delete, retried until it is done."""

    __tablename__ = "storage_deletions"
    __table_args__ = (Index("ix_storage_deletions_due", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the photo row is gone by the time the object is deleted.
    key: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=now)


class OnThisDaySchedule(db.Model):
    """When the couple's next "on this day" or anniversary push is due (09:00 couple-local).

    One row per couple that has memories or an anniversary; the clock claims rows by the
    indexed next_due_at, so a tick costs what is due, not how many couples there are.
    """

    __tablename__ = "on_this_day_schedules"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    # None: nothing will ever come round (no memories, no anniversary).
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # The couple-local day of the last push, so a day is never pushed twice.
    last_sent_on: Mapped[date | None]
