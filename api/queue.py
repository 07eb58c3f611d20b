"""Enqueueing jobs by dotted name, so api/ never imports workers/.

With REDIS_URL set the queue is RQ on Redis; without it, RQ on an in-process fakeredis that
the embedded worker thread (`flask serve`) drains. A Redis outage never fails a request: the
rows stay pending and the clock's sweep enqueues them later.

An enqueue runs inside the request, after its commit, so a stopped or hung Redis must not
hold it: the connection's timeouts are short (ENQUEUE_TIMEOUT_SECONDS), and after a failure a
breaker skips every enqueue for BREAKER_SECONDS instead of paying the timeout again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import fakeredis
import redis
from flask import current_app
from rq import Queue

from api.config import Config

log = logging.getLogger(__name__)

DELIVER_JOB = "workers.delivery.deliver"

# Redis answers in well under a millisecond; half a second is an outage, not a slow reply.
ENQUEUE_TIMEOUT_SECONDS = 0.5
# After a failed enqueue, skip enqueues this long: the sweep (workers/scheduler.py) covers them.
BREAKER_SECONDS = 5.0


class JobQueue:
    """The app's one queue and its Redis connection."""

    def __init__(self, config: Config) -> None:
        if config.REDIS_URL:
            self.connection: redis.Redis = redis.Redis.from_url(
                config.REDIS_URL,
                socket_timeout=ENQUEUE_TIMEOUT_SECONDS,
                socket_connect_timeout=ENQUEUE_TIMEOUT_SECONDS,
            )
        else:
            # One fake server per app: the app, its worker thread and its clock share it.
            self.connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        self.queue = Queue(config.QUEUE_NAME, connection=self.connection)
        self._lock = threading.Lock()
        self._open_until = 0.0  # time.monotonic() before which enqueues are skipped

    def enqueue(self, job_name: str, *args: Any, **options: Any) -> bool:
        """Enqueue a job; False (logged once per outage) when Redis is unreachable."""
        if self.breaker_open():
            return False
        try:
            # On one pipeline: RQ alone sends two MULTI/EXEC (the queue's name, then the job).
            with self.connection.pipeline() as pipe:
                self.queue.enqueue(job_name, *args, result_ttl=300, pipeline=pipe, **options)
                pipe.execute()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            self._trip(f"{job_name} left for the sweep: {exc}")
            return False
        self._close()
        return True

    def ping(self) -> bool:
        """Whether Redis answers (within the short timeout)."""
        try:
            ok = bool(self.connection.ping())
        except (redis.exceptions.RedisError, OSError):
            # Any Redis error (down, loading, misconfigured, wrong password) is "not ready".
            return False
        if ok:
            self._close()
        return ok

    def breaker_open(self) -> bool:
        """Whether enqueues are skipped because Redis failed moments ago."""
        return time.monotonic() < self._open_until

    def reset_breaker(self) -> None:
        """Close the breaker (tests that faked an outage end with it)."""
        with self._lock:
            self._open_until = 0.0

    def _trip(self, reason: str) -> None:
        with self._lock:
            first = self._open_until == 0.0
            self._open_until = time.monotonic() + BREAKER_SECONDS
        if first:
            # Once per outage: the breaker keeps the next ones from even trying.
            log.warning(
                "queue unreachable, enqueues skipped for %ss at a time: %s", BREAKER_SECONDS, reason
            )

    def _close(self) -> None:
        if self._open_until:
            with self._lock:
                self._open_until = 0.0
            log.info("queue reachable again")


def get_queue() -> JobQueue:
    """The current app's queue."""
    return current_app.extensions["hearth_queue"]


def enqueue(job_name: str, *args: Any, **options: Any) -> bool:
    """Enqueue on the current app's queue."""
    return get_queue().enqueue(job_name, *args, **options)
