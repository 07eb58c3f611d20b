"""The RQ worker class of the Procfile (`rq worker --worker-class workers.worker.HearthWorker`)."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job, JobStatus

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
        self._reporting = threading.local()  # set while rq reports a job's own failure

    @contextlib.contextmanager
    def job_report(self) -> Iterator[None]:
        """rq's lines inside are about a job's failure: kept as rq wrote them (ERROR).

        A job that fails on a Redis error of its own must not become a DEBUG line under the
        outage (nor an outage, while the worker's own Redis answers).
        """
        self._reporting.active = True
        try:
            yield
        finally:
            self._reporting.active = False

    @property
    def level(self) -> int:
        """The wrapped logger's level (rq reads it to start its scheduler)."""
        return self.logger.level

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log as rq asked, except a line about Redis being away: the outage's, then DEBUG."""
        if level >= logging.ERROR and not getattr(self._reporting, "active", False):
            cause = next((a for a in args if isinstance(a, UNREACHABLE)), None)
            handling = sys.exc_info()[1]
            cause = cause or (handling if isinstance(handling, UNREACHABLE) else None)
            if cause is not None:
                self.outage.failed(cause)
                level = logging.DEBUG
        kwargs.setdefault("stacklevel", 2)  # the record names rq's line, not this one
        super().log(level, msg, *args, **kwargs)


NOT_STARTED, RUNNING, RETURNED = "not started", "running", "returned"


def _job_name(job: Job) -> str:
    try:
        return job.func_name
    except Exception:  # a job that cannot be read back (rq's DeserializationError)
        return "<unreadable>"


def _report_unrecorded(
    worker: str, job: Job, phase: str, exc_info: Any, error: BaseException
) -> None:
    """One line, at ERROR, for a job whose end rq could not write to an unreachable Redis."""
    retries = job.retries_left or 0
    fate = (
        f"rq retries it ({retries} left) once Redis answers and its execution expires"
        if retries
        else "rq will not run it again (it moves to the failed registry once Redis answers, "
        "or is gone if Redis lost its data)"
    )
    # Hearth's jobs keep what they owe in the database (docs: "The processes"): a pending
    # notification is swept again, a tick's due rows wait for its next run, the storage
    # outbox retries. Nothing a user did is lost with the job's Redis record.
    owed = "what it owed is still in the database and the clock's next runs pick it up"
    where = f"worker {worker}: job {job.id} ({_job_name(job)})"
    cause = f"{type(error).__name__}: {error}"
    if phase == NOT_STARTED:
        log.error(
            "%s did not start: Redis unreachable as it was taken (%s); %s; %s",
            where,
            cause,
            fate,
            owed,
            extra={"job_id": job.id},
        )
    elif phase == RETURNED:
        log.warning(
            "%s ran to its end, but Redis became unreachable before rq recorded it (%s); "
            "nothing is left to redo, though rq will list it as failed (abandoned)",
            where,
            cause,
            extra={"job_id": job.id},
        )
    else:
        failure = exc_info[1]
        log.error(
            # The failure's type here and its traceback below (redacted as every record is).
            "%s failed (%s) and Redis was unreachable to record it (%s); %s; %s",
            where,
            type(failure).__name__,
            cause,
            fate,
            owed,
            exc_info=exc_info,
            extra={"job_id": job.id},
        )


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
    _born = False  # registered once already: a start after that is a restart (register_birth)
    # How far the job in hand got: NOT_STARTED, RUNNING, RETURNED (see _finalize_failure).
    _phase = "not started"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = RedisOutage(self.name, retry_seconds=self.max_connection_wait_time)
        self.log = _OutageLog(self.log, self.outage)

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        """rq's perform_job, noting how far the job got (a failure's report says it)."""
        self._phase = NOT_STARTED
        return super().perform_job(job, queue, execution)

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        """rq's bookkeeping before the job's code runs; past it, the job is running."""
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        self._phase = RUNNING

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        """rq's first step after the job's code: on the success path first, the job returned."""
        if self._phase == RUNNING and job.get_status(refresh=False) != JobStatus.FAILED:
            self._phase = RETURNED
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """rq's ERROR line about a failed job (its id, function, traceback), never demoted."""
        with self.log.job_report():
            super().handle_exception(job, *exc_info)

    def _finalize_failure(self, job: Job, queue: Queue, execution: Any, exc_info: Any) -> None:
        """rq's handling of a job that raised (or whose bookkeeping did); when Redis is away
        it cannot record anything, and the job would leave no line above DEBUG: this says, at
        ERROR, which job, how far it got and what becomes of it."""
        phase = self._phase
        try:
            super()._finalize_failure(job, queue, execution, exc_info)
        except UNREACHABLE as error:
            _report_unrecorded(self.name, job, phase, exc_info, error)
            raise

    def register_birth(self) -> None:
        """rq's registration; on a start after an outage, first mark the last one dead.

        The worker's name is its own (random) one, so a live registration under it is this
        worker's from before the outage, which it could not mark dead while Redis was away.
        When Redis kept its data (a network cut, a restart with persistence), rq refused to
        start again ("There exists an active worker named ...") and the process died.
        """
        if self._born:
            self.register_death()
        super().register_birth()
        self._born = True

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
