"""The daily counters behind the abuse limits (nudges, pushes, entries, rituals, invites)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.extensions import db


class DailyQuota(db.Model):
    """How many times user_id used scope on day; a row only exists once it was used.

    A counter of its own, not a count of domain rows: deleting and re-creating the thing
    (a ritual, an entry) does not give the uses back.
    """

    __tablename__ = "daily_quotas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # What is counted, and where: "nudge:couple:12", "invite", ...
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(default=0)
