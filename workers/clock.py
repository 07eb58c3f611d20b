"""The clock loop: the Procfile's `clock` (`python -m workers.process clock`), embedded too.

It enqueues the jobs of workers/cron.py on their schedule with rq's CronScheduler, in a loop
that outlives outages: `rq cron` itself exits on the first Redis error, after which nothing
is swept until someone restarts it. Here any error (Redis stopped or hung, a job's import
failing, anything) is logged once per outage, retried with a backoff capped at
MAX_BACKOFF_SECONDS, and the schedule resumes on its own; a job that fell due meanwhile is
enqueued once when Redis is back.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

import redis
from rq.cron import CronScheduler

log = logging.getLogger(__name__)

CRON_CONFIG = "workers.cron"
# Between retries while Redis is away: quick to notice it is back (issue 16 wants everything
# delivered within 30 s of Redis returning), slow enough not to spin.
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 4.0
# Never sleep longer than this between schedule checks, so a stop is noticed soon.
MAX_SLEEP_SECONDS = 5.0
# The clock's own Redis calls: a hung Redis raises after this, instead of blocking forever.
SOCKET_TIMEOUT_SECONDS = 5.0


def connect(url: str) -> redis.Redis:
    """The clock's Redis connection, with timeouts so a frozen Redis is an error, not a hang."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def run(
    connection: redis.Redis,
    stop: threading.Event,
    *,
    config: str = CRON_CONFIG,
    logging_level: str = "WARNING",
    sleep: Callable[[float], object] | None = None,
    scheduler_class: type[CronScheduler] = CronScheduler,
    queue_name: str = "hearth",
) -> None:
    """Enqueue the schedule's jobs on queue_name as they fall due until `stop` is set."""
    wait = sleep or stop.wait
    scheduler = scheduler_class(connection=connection, logging_level=logging_level)
    scheduler.load_config_from_file(config)
    # The schedule module is imported by rq, so it cannot see the Config: its jobs are put
    # on the configured queue (QUEUE_NAME) here, the one the worker listens to.
    for cron_job in scheduler.get_jobs():
        cron_job.queue_name = queue_name
    registered = False
    outage_since: float | None = None
    backoff = FIRST_BACKOFF_SECONDS
    try:
        while not stop.is_set():
            try:
                if not registered:
                    scheduler.register_birth()
                    registered = True
                if scheduler.enqueue_jobs():
                    scheduler.save()
                scheduler.heartbeat()
            except Exception as error:
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.error(
                        "clock cannot enqueue (%s: %s); retrying every %.0f s at most until it can",
                        type(error).__name__,
                        error,
                        MAX_BACKOFF_SECONDS,
                    )
                wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            if outage_since is not None:
                log.warning("clock enqueueing again after %.1f s", time.monotonic() - outage_since)
                outage_since = None
            backoff = FIRST_BACKOFF_SECONDS
            wait(max(0.1, min(scheduler.calculate_sleep_interval(), MAX_SLEEP_SECONDS)))
    finally:
        if registered:
            try:
                scheduler.register_death()
            except Exception:  # Redis may be the reason we stop; the registry entry expires
                log.info("clock could not unregister on exit", exc_info=True)


def serve(
    url: str,
    *,
    config: str = CRON_CONFIG,
    logging_level: str = "WARNING",
    scheduler_class: type[CronScheduler] = CronScheduler,
    queue_name: str = "hearth",
) -> None:
    """Run the clock on the Redis at url until SIGTERM or SIGINT (the Procfile's `clock`)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        log.info("clock stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("clock started")
    run(
        connect(url),
        stop,
        config=config,
        logging_level=logging_level,
        scheduler_class=scheduler_class,
        queue_name=queue_name,
    )
