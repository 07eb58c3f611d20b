"""The needs vocabulary (content) and the mood entries partners write."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.clock import now
from api.extensions import db

NOTE_MAX = 500
MAX_NEEDS = 3


class Need(db.Model):
    """One need of the vocabulary in one locale; written by `flask content import`."""

    __tablename__ = "needs"
    __table_args__ = (UniqueConstraint("slug", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(16))
    # The order of the file: the app lists needs in it.
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(80))
    # The partner's push title, with {name} where the sender's name goes.
    wish: Mapped[str] = mapped_column(String(200))
    suggestion: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    # Retired needs leave the vocabulary; entries that named them keep the slug.
    retired_at: Mapped[datetime | None]


class MoodEntry(db.Model):
    """How one partner feels on one couple day, what would help, and a note for the partner."""

    __tablename__ = "mood_entries"
    __table_args__ = (
        # The idempotency key of a phone's retries.
        UniqueConstraint("couple_id", "client_id"),
        # History pages by id (optionally one partner's); today reads one day.
        Index("ix_mood_entries_history", "couple_id", "user_id", "id"),
        Index("ix_mood_entries_day", "couple_id", "local_date"),
        # Summaries and recaps group a range of weeks.
        Index("ix_mood_entries_week", "couple_id", "week_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # Erasing an account erases its entries (the user_erasing receiver; CASCADE as backstop).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The couple's day the entry counts for (day_starts_at in the couple's zone).
    local_date: Mapped[date]
    # The Monday of local_date's ISO week: weeks group in SQL the same on every database.
    week_start: Mapped[date]
    mood: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    client_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=now)

    # Loaded with one extra SELECT per page (selectin), never one per entry.
    need_rows: Mapped[list[MoodNeed]] = relationship(
        lazy="selectin",
        order_by="MoodNeed.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def needs(self) -> list[str]:
        """The needs named, in the order given."""
        return [row.slug for row in self.need_rows]


class MoodNeed(db.Model):
    """One need named by an entry (a row each, so summaries count them in SQL)."""

    __tablename__ = "mood_entry_needs"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("mood_entries.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
