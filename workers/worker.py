"""The RQ worker class of the Procfile (`rq worker --worker-class workers.worker.HearthWorker`)."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job

from api.gc_freeze import freeze_loaded

log = logging.getLogger(__name__)


class HearthWorker(SimpleWorker):
    """SimpleWorker (one FCM client per process, not per forked job) that outlives Redis outages.

    rq's worker quits when Redis fails while it records a job ("found an unhandled exception,
    quitting"), and between reconnects it doubles its wait up to 60 s. This one starts its
    loop again after an outage, retrying every MAX_WAIT seconds at most, so delivery resumes
    within seconds of Redis coming back with no process restarted (issue 16). A job whose
    record was lost is harmless: its rows are still pending in the database, and the sweep
    enqueues them again.
    """

    max_connection_wait_time = 2.0
    _frozen = False

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job here; after the first one, freeze what it loaded (api/gc_freeze.py).

        The first job builds the app and, for a push, the FCM client with its libraries, all
        kept for the process's life: unfrozen, every full collection walked them, some 15% of
        a push batch's time in bench/push.py.
        """
        super().execute_job(job, queue)
        if not self._frozen:
            self._frozen = True
            freeze_loaded()

    def work(self, burst: bool = False, **kwargs: Any) -> bool:
        """Run rq's work loop; when it ends on an error rather than a stop, run it again."""
        worked = False
        wait = 0.5
        outage_logged = False
        while True:
            try:
                worked = super().work(burst=burst, **kwargs) or worked
            except StopRequested:
                return worked
            except redis.exceptions.RedisError as error:
                # The loop's own teardown failed: Redis is still away.
                if not outage_logged:
                    log.error("worker %s: Redis unreachable (%s); starting again", self.name, error)
                    outage_logged = True
            else:
                # rq ends its loop normally both on a stop and on an error. A SIGTERM/SIGINT
                # while idle raises StopRequested inside rq's loop (which swallows it) and
                # leaves _stop_requested unset; only a busy worker sets it. Every stop signal
                # goes through request_stop, which stamps _shutdown_requested_date.
                stopping = self._stop_requested or self._shutdown_requested_date is not None
                if burst or stopping or kwargs.get("max_jobs"):
                    return worked
                if kwargs.get("max_idle_time"):
                    return worked
                log.warning("worker %s: work loop ended on an error; starting again", self.name)
            self._forget_registration()
            try:
                time.sleep(wait)
            except StopRequested:
                return worked
            wait = min(wait * 2, self.max_connection_wait_time)

    def _forget_registration(self) -> None:
        """Mark this worker dead in Redis if it answers, so that the next start may register."""
        with contextlib.suppress(redis.exceptions.RedisError, OSError):
            self.register_death()
        with contextlib.suppress(Exception):
            self.unsubscribe()
