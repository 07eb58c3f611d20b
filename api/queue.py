"""Enqueueing jobs by dotted name, so api/ never imports workers/.

With REDIS_URL set the queue is RQ on Redis; without it, RQ on an in-process fakeredis that
the embedded worker thread (`flask serve`) drains. A Redis outage never fails a request: the
rows stay pending and the clock's sweep enqueues them later.
"""

from __future__ import annotations

import logging
from typing import Any

import fakeredis
import redis
from flask import current_app
from rq import Queue

from api.config import Config

log = logging.getLogger(__name__)

DELIVER_JOB = "workers.delivery.deliver"


class JobQueue:
    """The app's one queue and its Redis connection."""

    def __init__(self, config: Config) -> None:
        if config.REDIS_URL:
            self.connection: redis.Redis = redis.Redis.from_url(
                config.REDIS_URL, socket_timeout=5, socket_connect_timeout=2
            )
        else:
            # One fake server per app: the app, its worker thread and its clock share it.
            self.connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        self.queue = Queue(config.QUEUE_NAME, connection=self.connection)

    def enqueue(self, job_name: str, *args: Any, **options: Any) -> bool:
        """Enqueue a job; False (logged) when Redis is unreachable."""
        try:
            self.queue.enqueue(job_name, *args, result_ttl=300, **options)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            log.warning("queue unreachable, %s left for the sweep: %s", job_name, exc)
            return False
        return True

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self.connection.ping())
        except (redis.exceptions.RedisError, OSError):
            # Any Redis error (down, loading, misconfigured, wrong password) is "not ready".
            return False


def get_queue() -> JobQueue:
    """The current app's queue."""
    return current_app.extensions["hearth_queue"]


def enqueue(job_name: str, *args: Any, **options: Any) -> bool:
    """Enqueue on the current app's queue."""
    return get_queue().enqueue(job_name, *args, **options)
