"""When each couple's weekly recap push is due: the clock's index."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from api.extensions import db


class RecapSchedule(db.Model):
    """One row per couple: the next Sunday 19:00 couple-local instant, and the last week sent.

    The clock claims rows by the indexed next_recap_at (SKIP LOCKED), so a tick's cost follows
    the couples due, not the couples there are. The recaps themselves are never stored: a recap
    is computed from the week's rows, and a purged couple takes this row with it (CASCADE).
    """

    __tablename__ = "recap_schedules"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    next_recap_at: Mapped[datetime] = mapped_column(index=True)
    # The Monday of the last week whose push was written: once per couple per week.
    last_sent_week: Mapped[date | None]
