"""Entry point of the worker and clock processes: observability first, then RQ's own command.

    python -m workers.process worker --url "$REDIS_URL" \\
        --worker-class workers.worker.HearthWorker hearth
    python -m workers.process clock

Before handing over to RQ it configures the process as the web's are: the log format
(LOG_FORMAT, with each job's id on its lines), Sentry (SENTRY_DSN, with RQ's integration) and
metrics. The metrics go to PROMETHEUS_MULTIPROC_DIR when it is set and shared with the web on
one host (the web's /metrics then includes them); else METRICS_PORT serves them from here.
The clock runs workers/cron.py's schedule with RQ's CronScheduler in workers/clock.py's loop,
which outlives Redis and database outages, and counts what it enqueues
(hearth_clock_enqueued_total); its per-enqueue lines are DEBUG.
"""

from __future__ import annotations

import logging
import sys

from rq.cron import CronJob, CronScheduler

from api.config import Config
from api.hardening import config_or_exit

log = logging.getLogger(__name__)

KINDS = {"worker": "worker", "clock": "cron"}  # our name -> RQ's command


def setup_process(kind: str, config: Config | None = None) -> Config:
    """Logs, Sentry and metrics for a worker or clock process, from the environment.

    The environment's config is checked as the web's is (production's credentials too): a
    refusal is one line on stderr and exit status 1, never a traceback.
    """
    from api.observability.logs import configure_logging
    from api.observability.sentry import init_sentry

    config = config or config_or_exit()
    configure_logging(level=config.LOG_LEVEL, log_format=config.log_format, process_kind=kind)
    init_sentry(dsn=config.SENTRY_DSN, environment=config.APP_ENV, process_kind=kind)
    if config.METRICS_PORT:
        from prometheus_client import start_http_server

        from api.observability.metrics import process_registry

        start_http_server(config.METRICS_PORT, registry=process_registry())
        log.info("metrics on :%d/metrics", config.METRICS_PORT)
    return config


class CountingCronScheduler(CronScheduler):
    """RQ's cron scheduler, counting each job it enqueues."""

    def enqueue_jobs(self) -> list[CronJob]:
        """Enqueue the due jobs, as RQ does, and count them by job."""
        from api.observability.metrics import CLOCK_ENQUEUED

        enqueued = super().enqueue_jobs()
        for job in enqueued:
            CLOCK_ENQUEUED.labels(job.func.__name__ if job.func else "?").inc()
        return enqueued


def run_clock(config: Config, schedule: str = "workers.cron") -> None:
    """Run the clock on REDIS_URL until stopped, surviving Redis and database outages."""
    from workers import clock

    if not config.REDIS_URL:
        raise SystemExit("the clock process needs REDIS_URL (the embedded default runs its own)")
    clock.serve(
        config.REDIS_URL,
        config=schedule,
        logging_level=config.LOG_LEVEL,
        scheduler_class=CountingCronScheduler,
        queue_name=config.QUEUE_NAME,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m workers.process worker [rq worker options]` or `... clock [schedule module]`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in KINDS:
        raise SystemExit(f"usage: python -m workers.process {{{'|'.join(KINDS)}}} [rq options]")
    kind = args.pop(0)
    config = setup_process(kind)
    if kind == "clock":
        run_clock(config, *args[:1])
        return
    from rq.cli import main as rq_main

    rq_main([KINDS[kind], *args], prog_name="rq")


if __name__ == "__main__":
    main()
