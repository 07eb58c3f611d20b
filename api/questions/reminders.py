"""The daily question's evening reminder: claim due couples, remind who has not answered.

Run by `workers.scheduler.question_reminder_tick`. Like the ritual reminders
(api/rituals/reminders.py) it reads only the ``couples.next_question_at`` index, claiming due
rows with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so a tick costs what is due and two
clocks split the work. Each batch is one transaction: the partners' answers for the batch's
days and the partners themselves are read in one query each, the notifications are written,
next_question_at advances, and the commit enqueues delivery. The dedupe key, one per couple-day
and partner, makes "once per partner per day" a database fact, whatever the clocks or a
mid-day change of question_time do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db_utils import for_update_skip_locked
from api.i18n import N_, translate
from api.moods.models import MoodEntry
from api.notifications.quiet_hours import quiet_until
from api.notifications.service import notify
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion, QuestionAnswer
from api.questions.schedule import next_reminder_after, reminder_day
from api.questions.service import CATEGORY
from api.users.models import User

log = logging.getLogger(__name__)

# A reminder not sent within this long after its time is dropped, never sent late.
LATE_LIMIT = timedelta(minutes=30)
BATCH_SIZE = 500

REMINDER_TITLE = N_("Today's question")
REMINDER_BODY = N_(
    "A minute for the two of you: answer today's question and see what %(name)s says."
)
REMINDER_BODY_UNNAMED = N_(
    "A minute for the two of you: answer today's question and see what your partner says."
)


@dataclass
class TickResult:
    """What one tick did."""

    reminded: int = 0
    notifications: int = 0
    skipped_late: int = 0
    stopped: int = 0

    @property
    def claimed(self) -> int:
        """Couples the tick handled."""
        return self.reminded + self.skipped_late + self.stopped


def run_due(session: Session, *, moment: datetime, batch_size: int = BATCH_SIZE) -> TickResult:
    """Handle every question reminder due at ``moment``, one committed batch at a time."""
    result = TickResult()
    while True:
        couples = session.scalars(
            select(Couple)
            .where(Couple.next_question_at <= moment)
            .order_by(Couple.next_question_at)
            .limit(batch_size)
            .with_for_update(**for_update_skip_locked(session))
        ).all()
        if not couples:
            session.commit()  # end the (empty) claiming transaction
            return result
        _handle_batch(session, couples, moment, result)
        session.commit()


def _handle_batch(
    session: Session, couples: list[Couple], moment: datetime, result: TickResult
) -> None:
    due: list[tuple[Couple, date]] = []
    for couple in couples:
        fire_at = couple.next_question_at
        assert fire_at is not None  # selected by next_question_at <= moment
        if couple.unpaired_at is not None:
            couple.next_question_at = None
            result.stopped += 1
            continue
        if moment - fire_at > LATE_LIMIT:
            result.skipped_late += 1
            log.info("question reminder of couple %s at %s dropped: too late", couple.id, fire_at)
        else:
            due.append((couple, reminder_day(couple, fire_at)))
            result.reminded += 1
        # Never one that is already too late to send.
        couple.next_question_at = next_reminder_after(couple, max(fire_at, moment - LATE_LIMIT))
    if due:
        result.notifications += _remind(session, due, moment)


def _remind(session: Session, due: list[tuple[Couple, date]], moment: datetime) -> int:
    couple_ids = [couple.id for couple, _ in due]
    days = {day for _, day in due}
    # Who answered, for the batch's couple-days (a couple's row may not exist yet: nobody
    # opened today's question, so nobody answered it). The unique (couple_id, local_date)
    # index serves this; matching the exact day per couple happens below.
    answered: dict[tuple[int, date], set[int]] = {}
    question_ids: dict[tuple[int, date], int] = {}
    latest: dict[int, date] = {}  # each couple's latest question day from the batch's on
    for couple_id, day, question_id, user_id in session.execute(
        select(
            CoupleQuestion.couple_id,
            CoupleQuestion.local_date,
            CoupleQuestion.id,
            QuestionAnswer.user_id,
        )
        .outerjoin(QuestionAnswer, QuestionAnswer.couple_question_id == CoupleQuestion.id)
        .where(CoupleQuestion.couple_id.in_(couple_ids), CoupleQuestion.local_date >= min(days))
    ):
        question_ids[(couple_id, day)] = question_id
        latest[couple_id] = max(day, latest.get(couple_id, day))
        if user_id is not None:
            answered.setdefault((couple_id, day), set()).add(user_id)
    # A mood dated a later day makes that day the couple's lasting day too (api/streaks/days.py:
    # one for every domain), though nobody has opened its question yet.
    for couple_id, day in session.execute(
        select(MoodEntry.couple_id, func.max(MoodEntry.local_date))
        .where(MoodEntry.couple_id.in_(couple_ids), MoodEntry.local_date > min(days))
        .group_by(MoodEntry.couple_id)
    ):
        latest[couple_id] = max(day, latest.get(couple_id, day))
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_([i for c, _ in due for i in c.partner_ids]))
        )
    }
    written = 0
    for couple, day in due:
        if latest.get(couple.id, day) > day:
            continue  # the day came back after a move west: a later day's question is today's
        done = answered.get((couple.id, day), set())
        for user_id in couple.partner_ids:
            user = people.get(user_id)
            if user is None or user_id in done or _quiet(user, moment):
                continue
            partner = people.get(couple.partner_of(user_id) or 0)
            name = partner.display_name if partner else ""
            data = {"event": "question_reminder", "local_date": day.isoformat()}
            if (couple.id, day) in question_ids:
                data["question_id"] = str(question_ids[(couple.id, day)])
            notification_id = notify(
                session,
                recipient_id=user_id,
                couple_id=couple.id,
                category=CATEGORY,
                title=translate(user.locale, REMINDER_TITLE),
                body=(
                    translate(user.locale, REMINDER_BODY, name=name)
                    if name
                    else translate(user.locale, REMINDER_BODY_UNNAMED)
                ),
                data=data,
                dedupe_key=f"question-reminder:{couple.id}:{day.isoformat()}:{user_id}",
            )
            written += notification_id is not None
    return written


def _quiet(user: User, moment: datetime) -> bool:
    """Whether the reminder falls in the user's quiet hours: then it is not sent at all.

    A reminder is about this evening; holding it to the end of the quiet hours (as partner
    activity is) would deliver it the next morning, when it no longer means anything.
    """
    if user.quiet_hours_start is None or user.quiet_hours_end is None:
        return False
    return (
        quiet_until(
            moment, start=user.quiet_hours_start, end=user.quiet_hours_end, tz=user.timezone
        )
        is not None
    )
