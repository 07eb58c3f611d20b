"""When each couple's weekly recap push is due: the clock's index."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from api.affirmations.models import AffirmationMessage, GratitudeEntry
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
    # The end of the couple's current week (next Monday's day start): when the clock records
    # each ritual's streak at the week's end, which a past week's recap shows.
    next_snapshot_at: Mapped[datetime | None] = mapped_column(index=True)


class RecapStreak(db.Model):
    """A ritual's streak at the end of one of the couple's weeks, recorded as the week ended.

    A streak at a past date cannot be read back from the live state without replaying the
    history; recording it once, as the week closes, keeps the recap's cost flat.
    """

    __tablename__ = "recap_streaks"

    ritual_id: Mapped[int] = mapped_column(
        ForeignKey("rituals.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(primary_key=True)
    streak: Mapped[int]


# The recap reads the affirmations and gratitude of a run of weeks by instant. These indexes
# serve that read model (and only it), so they are declared here, with it: the range scan
# costs what the weeks hold, not the couple's whole history.
Index(
    "ix_affirmation_messages_couple_created",
    AffirmationMessage.couple_id,
    AffirmationMessage.created_at,
)
Index("ix_gratitude_entries_couple_created", GratitudeEntry.couple_id, GratitudeEntry.created_at)
