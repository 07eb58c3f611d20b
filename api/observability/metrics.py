"""Prometheus metrics of every Hearth process, and the `/metrics` exposition.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it for the web), prometheus-client
writes each process's samples to files in that folder and `/metrics` sums them, so the figures
cover every gunicorn worker, and any RQ worker or clock on the same host sharing the folder.
A worker or clock elsewhere serves its own on METRICS_PORT (see workers/process.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

HTTP_REQUESTS = Histogram(
    "hearth_http_request_duration_seconds",
    "HTTP requests by endpoint (the route's template), method and status, with their latency.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PUSH_DELIVERIES = Counter(
    "hearth_push_deliveries_total",
    "Push deliveries by category and outcome: sent, token_dropped, rejected, auth_error, "
    "transient (retried later), suppressed (switched off or no device).",
    ["category", "outcome"],
)
REMINDER_LAG = Histogram(
    "hearth_reminder_lag_seconds",
    "How late a ritual reminder was written behind its scheduled time (dropped past 30 min).",
    buckets=(1, 5, 15, 30, 45, 60, 120, 300, 600, 1800, 3600),
)
CLOCK_ENQUEUED = Counter(
    "hearth_clock_enqueued_total",
    "Jobs the clock enqueued, by job.",
    ["job"],
)

QUEUE_STATES = ("queued", "started", "scheduled", "deferred", "failed")


def multiprocess_dir() -> str | None:
    """The shared samples folder, when this process writes its metrics to one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry() -> CollectorRegistry:
    """Every process's metrics: the shared folder's sum, or this process's own."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class QueueDepthCollector(Collector):
    """The queue's depth by state, read from Redis at scrape time (one process answers it)."""

    def __init__(self, queue: object) -> None:
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from rq import Queue

        queue: Queue = self.queue  # type: ignore[assignment]
        gauge = GaugeMetricFamily(
            "hearth_queue_jobs", "Jobs in the RQ queue, by state.", labels=["queue", "state"]
        )
        try:
            counts = {
                "queued": queue.count,
                "started": queue.started_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
                "deferred": queue.deferred_job_registry.count,
                "failed": queue.failed_job_registry.count,
            }
        except Exception as exc:  # Redis down: the scrape still answers the other metrics
            log.warning("queue depth unavailable: %s", exc)
            return
        for state in QUEUE_STATES:
            gauge.add_metric([queue.name, state], counts[state])
        yield gauge


def exposition(queue: object | None = None) -> tuple[bytes, str]:
    """The /metrics body and content type: every process's metrics plus the queue's depth."""
    body = generate_latest(process_registry())
    if queue is not None:
        scrape = CollectorRegistry()
        scrape.register(QueueDepthCollector(queue))
        body += generate_latest(scrape)
    return body, CONTENT_TYPE_LATEST
