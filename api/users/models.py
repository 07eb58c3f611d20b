"""The person behind a phone: provisioned on first authenticated call."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.clock import now
from api.extensions import db
from api.snapshots import snapshot_class


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(35), default="en")  # schemas.LOCALE_MAX
    quiet_hours_start: Mapped[time | None]
    quiet_hours_end: Mapped[time | None]
    notify_ritual_reminders: Mapped[bool] = mapped_column(default=True)
    notify_partner_activity: Mapped[bool] = mapped_column(default=True)
    notify_streaks: Mapped[bool] = mapped_column(default=True)
    notify_affirmations: Mapped[bool] = mapped_column(default=True)
    notify_daily_question: Mapped[bool] = mapped_column(default=True)
    notify_moods: Mapped[bool] = mapped_column(default=True)
    notify_memories: Mapped[bool] = mapped_column(default=True)
    notify_recap: Mapped[bool] = mapped_column(default=True)
    # The couple the user is in now; None when single. Constraints on the couple side keep
    # one user in one couple at a time.
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couples.id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=now)


# What a request that only reads is given for its user (api/auth.py).
UserSnapshot = snapshot_class(User)
