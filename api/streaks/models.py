"""Check-ins, the persisted streak state, pause history and nudges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.clock import now
from api.extensions import db
from api.rituals.models import Ritual
from api.streaks.engine import StreakState


class CheckIn(db.Model):
    """One partner did the ritual on one local day of the couple."""

    __tablename__ = "check_ins"
    __table_args__ = (
        # One check-in per partner per day: two phones racing can never double-count.
        UniqueConstraint("ritual_id", "user_id", "local_date"),
        # The idempotency key of a phone's retries: the couple's, as every client_id (see
        # api/idempotency.py), so the partner's phone cannot make a row under it.
        UniqueConstraint("couple_id", "client_id"),
        # Streak reads fetch the few days after finalized_through; history pages by id.
        Index("ix_check_ins_ritual_date", "ritual_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    # The ritual's couple, kept here for the client_id's unique key.
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # Erasing an account erases its check-ins (API.md, DELETE /v1/me).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=now)


class StreakRecord(db.Model):
    """The finalized StreakState of one ritual (see api.streaks.engine); one row per ritual."""

    __tablename__ = "streak_records"

    ritual_id: Mapped[int] = mapped_column(
        ForeignKey("rituals.id", ondelete="CASCADE"), primary_key=True
    )
    current: Mapped[int] = mapped_column(default=0, index=True)
    longest: Mapped[int] = mapped_column(default=0)
    freezes_available: Mapped[int] = mapped_column(default=0)
    last_completed_date: Mapped[date | None]
    run_started_on: Mapped[date | None]
    finalized_through: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    @property
    def state(self) -> StreakState:
        """The engine's immutable view of this row."""
        return StreakState(
            current=self.current,
            longest=self.longest,
            freezes_available=self.freezes_available,
            last_completed_date=self.last_completed_date,
            run_started_on=self.run_started_on,
            finalized_through=self.finalized_through,
        )

    def store(self, state: StreakState) -> None:
        """Write an engine state back into the row."""
        self.current = state.current
        self.longest = state.longest
        self.freezes_available = state.freezes_available
        self.last_completed_date = state.last_completed_date
        self.run_started_on = state.run_started_on
        self.finalized_through = state.finalized_through


class RitualPause(db.Model):
    """A span of local days on which the ritual was paused: ``paused_from <= d < resumed_on``.

    A day's pause status is the ritual's status at the end of that day: pausing on a day makes
    that day neutral, resuming on a day makes it count again. Written by the listener in
    api.streaks.pauses whenever Ritual.paused changes.
    """

    __tablename__ = "ritual_pauses"
    __table_args__ = (Index("ix_ritual_pauses_ritual_resumed", "ritual_id", "resumed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    paused_from: Mapped[date]
    resumed_on: Mapped[date | None]

    ritual: Mapped[Ritual] = relationship()


class Nudge(db.Model):
    """A partner's "I'm waiting" push: at most one per ritual, sender and ritual day."""

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("ritual_id", "sender_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=now)
