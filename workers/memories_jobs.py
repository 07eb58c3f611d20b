"""Clock jobs of memories: "on this day" pushes, the storage-delete outbox, stale uploads.

Registered in workers/cron.py; each is safe to run twice or from two clocks at once.
"""

from __future__ import annotations

import logging

from api.clock import now
from api.extensions import db
from api.memories import on_this_day, service
from api.storage import get_storage
from workers.app import job_app

log = logging.getLogger(__name__)


def on_this_day_tick() -> int:
    """Push the "on this day" and anniversary pushes due now; returns how many pushes."""
    app = job_app()
    with app.app_context():
        try:
            result = on_this_day.run_due(db.session, moment=now())
        finally:
            db.session.remove()
    if result.claimed:
        log.info(
            "on-this-day tick: %d couples (%d notifications), %d too late",
            result.couples,
            result.notifications,
            result.skipped_late,
        )
    return result.notifications


def delete_stored_objects() -> int:
    """Delete the stored objects whose deletion is due (the outbox); returns how many.

    Enqueued after every commit that queued deletions, and run by the clock every minute for
    the retries and for what an enqueue lost.
    """
    app = job_app()
    with app.app_context():
        try:
            deleted, failed = service.delete_due_objects(
                db.session, storage=get_storage(), moment=now()
            )
        finally:
            db.session.remove()
    if failed:
        log.warning("storage: %d deletions failed, retried later", failed)
    return deleted


def cleanup_unconfirmed_uploads() -> int:
    """Remove photo uploads never confirmed within a day (rows now, objects via the outbox)."""
    app = job_app()
    with app.app_context():
        try:
            removed = service.cleanup_unconfirmed(db.session, moment=now())
        finally:
            db.session.remove()
    if removed:
        log.info("removed %d unconfirmed photo uploads", removed)
    return removed
