"""Library affirmations, the daily-suggestion history, messages between partners, gratitude."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.clock import now
from api.extensions import db

TEXT_MAX = 500


class Affirmation(db.Model):
    """One library affirmation, one id in every language; written by `content import`, kept."""

    __tablename__ = "affirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    # Retired items leave the library but stay for the messages that used them.
    retired_at: Mapped[datetime | None]


class AffirmationText(db.Model):
    """An affirmation's words in one locale (en is the fallback for every slug)."""

    __tablename__ = "affirmation_texts"
    __table_args__ = (
        UniqueConstraint("affirmation_id", "locale"),
        Index("ix_affirmation_texts_library", "locale", "retired_at", "affirmation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    affirmation_id: Mapped[int] = mapped_column(ForeignKey("affirmations.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(TEXT_MAX))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    # A translation removed from its file is retired; the affirmation falls back to en.
    retired_at: Mapped[datetime | None]


class DailySuggestion(db.Model):
    """The affirmation suggested to a user on one local day; a cycle ends when all were shown."""

    __tablename__ = "daily_suggestions"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        Index("ix_daily_suggestions_cycle", "user_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date]
    # The slug, not a row id: the suggestion holds when the user switches locale mid-day.
    slug: Mapped[str] = mapped_column(String(80))
    cycle: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=now)


class AffirmationMessage(db.Model):
    """An affirmation one partner sent the other: a library item or their own words."""

    __tablename__ = "affirmation_messages"
    __table_args__ = (
        UniqueConstraint("couple_id", "client_id"),
        Index("ix_affirmation_messages_received", "couple_id", "recipient_id", "id"),
        Index("ix_affirmation_messages_sent", "couple_id", "sender_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # NULL once the sender erased their account: the recipient keeps the words, not the author.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The recipient's erasure takes what they received with it.
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    affirmation_id: Mapped[int | None] = mapped_column(
        ForeignKey("affirmations.id", ondelete="SET NULL")
    )
    # The words as sent (a library text is copied), so editing or retiring the library never
    # changes what was received.
    text: Mapped[str] = mapped_column(String(TEXT_MAX))
    client_id: Mapped[str] = mapped_column(String(36))
    read_at: Mapped[datetime | None]
    reaction: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)

    # Joined into every load: the inbox shows the category, and a lazy load per row is an N+1.
    affirmation: Mapped[Affirmation | None] = relationship(lazy="joined")


class GratitudeEntry(db.Model):
    """One thing a partner appreciates about the other, on the couple's shared list."""

    __tablename__ = "gratitude_entries"
    __table_args__ = (
        UniqueConstraint("couple_id", "client_id"),
        Index("ix_gratitude_entries_list", "couple_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # NULL once the author erased their account; the words stay on the partner's list.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(TEXT_MAX))
    client_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=now)
