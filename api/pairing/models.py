"""Couples and the invite codes that make them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.clock import now
from api.extensions import db


class Couple(db.Model):
    __tablename__ = "couples"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept after unpairing (for the purge); nulled when a partner erases their account.
    user_a_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    user_b_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    paired_at: Mapped[datetime] = mapped_column(default=now)
    # None while the couple is together; set on unpair, and the purge deletes it 30 days later.
    unpaired_at: Mapped[datetime | None] = mapped_column(index=True)
    anniversary: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    day_starts_at: Mapped[time] = mapped_column(default=time(4, 0))

    @property
    def partner_ids(self) -> list[int]:
        return [uid for uid in (self.user_a_id, self.user_b_id) if uid is not None]

    def partner_of(self, user_id: int) -> int | None:
        """The other partner's user id."""
        return self.user_b_id if user_id == self.user_a_id else self.user_a_id


class Invite(db.Model):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Stored normalised: 8 Crockford base32 characters, no dash.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
