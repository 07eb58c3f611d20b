"""The RQ worker class of the Procfile (`rq worker --worker-class workers.worker.HearthWorker`)."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job

from api.gc_freeze import freeze_loaded

log = logging.getLogger(__name__)

# What a worker cannot reach Redis through; other Redis errors are answers, not an outage.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisOutage:
    """A worker's Redis outage in the log: one ERROR as it starts, a WARNING a minute, one INFO.

    rq's worker logs an ERROR at every retry (its loop's and its pubsub thread's, each every
    2 s): thousands of identical lines a night. Those are demoted to DEBUG and reported here.
    """

    reminder_seconds = 60.0

    def __init__(
        self, name: str, *, retry_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.since: float | None = None
        self._reported = 0.0
        self._lock = threading.Lock()  # rq's pubsub thread reports too

    @property
    def active(self) -> bool:
        """Whether Redis is away now, as far as this worker knows."""
        return self.since is not None

    def failed(self, error: BaseException) -> None:
        """Redis did not answer: the outage's first line, or a reminder once a minute."""
        with self._lock:
            moment = self.clock()
            if self.since is None:
                self.since = self._reported = moment
                log.error(
                    "worker %s: Redis unreachable (%s: %s); retrying every %.0f s, "
                    "a warning a minute until it answers",
                    self.name,
                    type(error).__name__,
                    error,
                    self.retry_seconds,
                )
            elif moment - self._reported >= self.reminder_seconds:
                self._reported = moment
                log.warning(
                    "worker %s: Redis still unreachable after %.0f s (%s: %s)",
                    self.name,
                    moment - self.since,
                    type(error).__name__,
                    error,
                )

    def answered(self) -> None:
        """Redis answered: the outage, if any, is over."""
        with self._lock:
            if self.since is not None:
                log.info(
                    "worker %s: Redis reachable again after %.1f s",
                    self.name,
                    self.clock() - self.since,
                )
                self.since = None


class _OutageLog(logging.LoggerAdapter):
    """rq's worker logger, with its ERROR lines about an unreachable Redis told to the outage.

    Those lines name the connection error (its retry loops) or are written while handling one
    (the "unhandled exception" that ends its loop): they stay in the log at DEBUG.
    """

    def __init__(self, logger: logging.Logger, outage: RedisOutage) -> None:
        super().__init__(logger, {})
        self.outage = outage

    @property
    def level(self) -> int:
        """The wrapped logger's level (rq reads it to start its scheduler)."""
        return self.logger.level

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log as rq asked, except a line about Redis being away: the outage's, then DEBUG."""
        if level >= logging.ERROR:
            cause = next((a for a in args if isinstance(a, UNREACHABLE)), None)
            handling = sys.exc_info()[1]
            cause = cause or (handling if isinstance(handling, UNREACHABLE) else None)
            if cause is not None:
                self.outage.failed(cause)
                level = logging.DEBUG
        kwargs.setdefault("stacklevel", 2)  # the record names rq's line, not this one
        super().log(level, msg, *args, **kwargs)


class HearthWorker(SimpleWorker):
    """SimpleWorker (one FCM client per process, not per forked job) that outlives Redis outages.

    rq's worker quits when Redis fails while it records a job ("found an unhandled exception,
    quitting"), and between reconnects it doubles its wait up to 60 s. This one starts its
    loop again after an outage, retrying every MAX_WAIT seconds at most, so delivery resumes
    within seconds of Redis coming back with no process restarted (issue 16). A job whose
    record was lost is harmless: its rows are still pending in the database, and the sweep
    enqueues them again. An outage is one ERROR, a WARNING a minute and one INFO line when
    Redis answers again (RedisOutage), not rq's line per retry; a stop signal during it stops.
    """

    max_connection_wait_time = 2.0
    _frozen = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = RedisOutage(self.name, retry_seconds=self.max_connection_wait_time)
        self.log = _OutageLog(self.log, self.outage)

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        """rq's heartbeat; one that reaches Redis ends an outage (rq beats before each dequeue)."""
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self.outage.answered()

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
        while True:
            try:
                worked = super().work(burst=burst, **kwargs) or worked
            except StopRequested:
                return worked
            except redis.exceptions.RedisError as error:
                # rq's start or teardown failed: Redis is still away.
                self.outage.failed(error)
            else:
                if burst or kwargs.get("max_jobs") or kwargs.get("max_idle_time"):
                    return worked
                if not self._stopping and not self.outage.active:
                    log.warning("worker %s: work loop ended on an error; starting again", self.name)
            # rq ends its loop normally both on a stop and on an error, and a stop during an
            # outage ends it with its teardown's RedisError: the stop decides, not the error.
            if self._stopping:
                return worked
            try:
                self._forget_registration()
                time.sleep(wait)
            except StopRequested:
                return worked
            wait = min(wait * 2, self.max_connection_wait_time)

    @property
    def _stopping(self) -> bool:
        # A SIGTERM/SIGINT while idle raises StopRequested inside rq's loop (which swallows it)
        # and leaves _stop_requested unset; only a busy worker sets it. Every stop signal goes
        # through request_stop, which stamps _shutdown_requested_date.
        return self._stop_requested or self._shutdown_requested_date is not None

    def _forget_registration(self) -> None:
        """Mark this worker dead in Redis if it answers, so that the next start may register."""
        with contextlib.suppress(redis.exceptions.RedisError, OSError):
            self.register_death()
        try:
            self.unsubscribe()
        except StopRequested:
            raise  # a stop signal while it joins the pubsub thread: the caller stops
        except Exception:  # Redis away, or the thread gone: what is left is done below
            pass
        if self.pubsub_thread is not None:
            # Unsubscribing fails while Redis is away: stop the thread all the same (its retries
            # would go on) and forget it, so that the next start subscribes afresh.
            self.pubsub_thread.stop()
            self.pubsub_thread = None
