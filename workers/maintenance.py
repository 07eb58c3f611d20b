"""Clock jobs of push delivery: due retries and held pushes, and stale-token pruning.

Registered in workers/cron.py. The catch-all sweep for lost enqueues stays in
workers/scheduler.py (sweep_pending).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from api.clock import now
from api.devices.models import Device
from api.extensions import db
from api.notifications.models import Notification
from workers.app import job_app
from workers.scheduler import SWEEP_AFTER, enqueue_pending

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=270)
ENQUEUE_DUE_EVERY_SECONDS = 15


def enqueue_due() -> int:
    """Enqueue pending notifications whose later due time has just come; returns how many.

    These are retries (the delivery job set deliver_after after a transient FCM error) and
    pushes held for quiet hours or written for later. Nothing else enqueues them when they
    fall due; once they are SWEEP_AFTER overdue, sweep_pending takes over.
    """
    return enqueue_pending(
        lambda moment: [
            Notification.deliver_after <= moment,
            Notification.deliver_after > moment - SWEEP_AFTER,
            # Written due at once: its after-commit enqueue covers it.
            Notification.deliver_after > Notification.created_at,
        ]
    )


def prune_stale_devices() -> int:
    """Delete devices whose token was not refreshed for 270 days; returns how many.

    The app re-registers its token on every start and monthly (docs/push.md), so a token
    this old belongs to an uninstalled app or a phone in a drawer; FCM would answer
    UNREGISTERED sooner or later anyway.
    """
    app = job_app()
    with app.app_context():
        try:
            result = db.session.execute(
                delete(Device).where(Device.last_seen_at < now() - STALE_AFTER)
            )
            db.session.commit()
        finally:
            db.session.remove()
    pruned = result.rowcount or 0
    if pruned:
        log.info("pruned %d devices not seen for %d days", pruned, STALE_AFTER.days)
    return pruned
