"""The question library, each couple's question of the day, and the partners' answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.clock import now
from api.extensions import db

DEPTHS = ("light", "deeper", "deep")
QUESTION_TEXT_MAX = 500
ANSWER_MAX = 2000


class Question(db.Model):
    """One library question in one locale; written by `flask content import`, never deleted."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("slug", "locale"),
        Index("ix_questions_library", "locale", "retired_at", "depth", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(16))
    depth: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(QUESTION_TEXT_MAX))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    # Retired questions are never chosen again; days that asked them still show them.
    retired_at: Mapped[datetime | None]


class CoupleQuestion(db.Model):
    """The question a couple has on one of its local days: fixed once chosen."""

    __tablename__ = "couple_questions"
    __table_args__ = (
        # One question per couple-day, decided by the database when first reads race.
        UniqueConstraint("couple_id", "local_date"),
        Index("ix_couple_questions_cycle", "couple_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    local_date: Mapped[date]
    # The slug, not a row id: each partner reads it in their own locale.
    slug: Mapped[str] = mapped_column(String(80))
    depth: Mapped[str] = mapped_column(String(8))
    # The couple's pass through the library: no slug repeats within one cycle.
    cycle: Mapped[int]
    # The question this day had before its one swap (it stays "asked" for the cycle).
    swapped_from: Mapped[str | None] = mapped_column(String(80))
    revealed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)


class QuestionAnswer(db.Model):
    """One partner's answer to a couple's question; hidden from the partner until both answered."""

    __tablename__ = "question_answers"
    __table_args__ = (
        UniqueConstraint("couple_question_id", "user_id"),
        # The couple's idempotency key, as every client_id (api/idempotency.py).
        UniqueConstraint("couple_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_question_id: Mapped[int] = mapped_column(
        ForeignKey("couple_questions.id", ondelete="CASCADE")
    )
    # The question's couple, kept here for the client_id's unique key.
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # Erasure deletes the user's answers (the user_erasing receiver; the cascade backs it up).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(ANSWER_MAX))
    # The client_id of the write that set this text: a retry of it answers the same row.
    client_id: Mapped[str] = mapped_column(String(36))
    # The partner's one-emoji reaction to this answer, once revealed.
    reaction: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class EarlierAnswerClientId(db.Model):
    """A client_id an answer was written under before an edit: its late retry replays, no more.

    The answer's row holds only its latest write's client_id; without these an earlier write
    retried after an edit would look new and undo the edit.
    """

    __tablename__ = "earlier_answer_client_ids"

    # The couple's idempotency key, as every client_id (api/idempotency.py).
    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Gone with the answer (an erasure deletes it): who wrote it is the answer's user_id.
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("question_answers.id", ondelete="CASCADE"), index=True
    )
