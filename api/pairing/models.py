"""Couples and the invite codes that make them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from api.clock import now
from api.extensions import db
from api.snapshots import snapshot_class

# A partial unique index over "live" rows: the same SQL on PostgreSQL and SQLite.
ACTIVE_COUPLE = text("unpaired_at IS NULL")
LIVE_INVITE = text("used_at IS NULL AND revoked_at IS NULL")


class CoupleMembers:
    """Who is in a couple: shared by Couple and its frozen snapshot (api/snapshots.py)."""

    __slots__ = ()

    @property
    def partner_ids(self) -> list[int]:
        return [uid for uid in (self.user_a_id, self.user_b_id) if uid is not None]

    def partner_of(self, user_id: int) -> int | None:
        """The other partner's user id."""
        return self.user_b_id if user_id == self.user_a_id else self.user_a_id


class Couple(CoupleMembers, db.Model):
    __tablename__ = "couples"
    __table_args__ = (
        # Backstops of the join use case: nobody is in two active couples on the same side.
        # (users.couple_id, one column, is what keeps a user in one couple in all.)
        Index(
            "uq_couples_active_user_a",
            "user_a_id",
            unique=True,
            postgresql_where=ACTIVE_COUPLE,
            sqlite_where=ACTIVE_COUPLE,
        ),
        Index(
            "uq_couples_active_user_b",
            "user_b_id",
            unique=True,
            postgresql_where=ACTIVE_COUPLE,
            sqlite_where=ACTIVE_COUPLE,
        ),
    )

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
    # The daily question's evening reminder (couple-local), and when it is next due: the
    # clock claims by this index, so its cost follows what is due (api/questions/schedule.py).
    question_time: Mapped[time] = mapped_column(default=time(19, 0))
    next_question_at: Mapped[datetime | None] = mapped_column(index=True)
    # The couple's day when its zone or day start last changed, and when: a move west takes the
    # new zone's day back, but the couple already lived this one (it stays today, the days
    # before its yesterday stay settled); a move east skips the days between it and the new
    # zone's day at moved_at, which lasted no time (api/streaks/days.py).
    lived_through: Mapped[date | None]
    moved_at: Mapped[datetime | None]


# What a request that only reads is given for its couple (api/auth.py).
CoupleSnapshot = snapshot_class(Couple, CoupleMembers)


class Invite(db.Model):
    __tablename__ = "invites"
    # One live invite per user, kept by the database: creating one revokes the old first.
    __table_args__ = (
        Index(
            "uq_invites_live_per_inviter",
            "inviter_id",
            unique=True,
            postgresql_where=LIVE_INVITE,
            sqlite_where=LIVE_INVITE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Stored normalised: 8 Crockford base32 characters, no dash.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
