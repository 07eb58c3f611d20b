"""The clock's jobs, enqueued by `rq cron` (see workers/cron.py) and run by a worker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select

from api import queue
from api.clock import now
from api.extensions import db
from api.notifications.models import PENDING, Notification
from api.rituals import reminders
from workers.app import job_app

log = logging.getLogger(__name__)

# Overdue this long, a pending row lost its enqueue (Redis was down, or a worker died): short,
# so delivery resumes within seconds of Redis coming back; a duplicate enqueue is harmless.
SWEEP_AFTER = timedelta(seconds=10)
SWEEP_BATCH = 500


def sweep_pending() -> int:
    """Re-enqueue notifications still pending SWEEP_AFTER after they became due; returns how many.

    They are rows whose enqueue was lost (Redis down at commit) or whose worker died. The
    delivery job skips anything already sent, so a duplicate enqueue is harmless.
    """
    count = enqueue_pending(lambda moment: [Notification.deliver_after <= moment - SWEEP_AFTER])
    if count:
        log.info("sweep re-enqueued %d pending notifications", count)
    return count


def enqueue_pending(conditions: Callable[[datetime], list[ColumnElement[bool]]]) -> int:
    """Enqueue delivery of the pending notifications matching conditions(now), in batches.

    The one way the clock hands pending rows to the workers (the sweep, due retries and holds).
    """
    app = job_app()
    with app.app_context():
        try:
            ids = list(
                db.session.scalars(
                    select(Notification.id)
                    .where(Notification.status == PENDING, *conditions(now()))
                    .order_by(Notification.id)
                    .limit(10 * SWEEP_BATCH)
                )
            )
        finally:
            db.session.remove()
        for start in range(0, len(ids), SWEEP_BATCH):
            queue.enqueue(queue.DELIVER_JOB, ids[start : start + SWEEP_BATCH])
        return len(ids)


def reminder_tick() -> int:
    """Send every ritual reminder that is due now (once per partner); returns how many pushes."""
    app = job_app()
    with app.app_context():
        try:
            result = reminders.run_due(db.session, moment=now())
        finally:
            db.session.remove()
    if result.claimed:
        log.info(
            "reminder tick: %d rituals reminded (%d notifications), %d too late, %d stopped",
            result.reminded,
            result.notifications,
            result.skipped_late,
            result.stopped,
        )
    return result.notifications


# -- streaks (issue 5) ------------------------------------------------------------------------


def streak_at_risk_tick() -> int:
    """Push the evening "streak at risk" reminders that are due; returns how many rituals."""
    from api.streaks.service import send_at_risk_nudges

    app = job_app()
    with app.app_context():
        try:
            return send_at_risk_nudges(db.session)
        finally:
            db.session.remove()


# -- weekly recap (issue 12) ------------------------------------------------------------------


def recap_tick() -> int:
    """Push the Sunday 19:00 couple-local recaps that are due; returns how many couples."""
    from api.recaps.service import run_due

    app = job_app()
    with app.app_context():
        try:
            result = run_due(db.session, moment=now())
        finally:
            db.session.remove()
    if result.sent or result.late or result.stopped:
        log.info(
            "recap tick: %d couples pushed, %d too late, %d stopped, %d rescheduled",
            result.sent,
            result.late,
            result.stopped,
            result.rescheduled,
        )
    return result.sent


# -- daily question (issue 11) ----------------------------------------------------------------


def question_reminder_tick() -> int:
    """Send the daily question's reminders that are due now; returns how many pushes."""
    from api.questions import reminders as question_reminders

    app = job_app()
    with app.app_context():
        try:
            result = question_reminders.run_due(db.session, moment=now())
        finally:
            db.session.remove()
    if result.claimed:
        log.info(
            "question reminder tick: %d couples reminded (%d notifications), %d too late, "
            "%d stopped",
            result.reminded,
            result.notifications,
            result.skipped_late,
            result.stopped,
        )
    return result.notifications
