"""Clock jobs of pairing: purge the couples that were unpaired more than 30 days ago."""

from __future__ import annotations

import logging

from api.extensions import db
from api.pairing import service
from workers.app import job_app

log = logging.getLogger(__name__)


def purge_unpaired_couples() -> int:
    """Delete couples unpaired more than 30 days ago, with their data; returns how many."""
    app = job_app()
    with app.app_context():
        try:
            purged = service.purge_unpaired(db.session)
        finally:
            db.session.remove()
    if purged:
        log.info("purged %d couples unpaired over %s ago", purged, service.PURGE_AFTER)
    return purged
