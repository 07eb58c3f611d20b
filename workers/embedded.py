"""The embedded default: one process serves the API, drains the queue and runs the clock.

Used by `flask serve` (and `make run`) when REDIS_URL is unset: the queue is an in-process
fakeredis, so a newcomer needs nothing but Python. Production runs the same jobs in separate
`rq worker` and `rq cron` processes (see Procfile).
"""

from __future__ import annotations

import logging
import os
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty
from werkzeug.serving import run_simple

from api.queue import JobQueue
from workers import clock

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class ThreadWorker(SimpleWorker):
    """An RQ worker that can live in a non-main thread (no signal handlers, timer timeouts)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signals belong to the main thread; the serving process handles them."""


def start_embedded(app: Flask, stop: threading.Event) -> list[threading.Thread]:
    """Start the worker and clock threads for app's in-process queue."""
    job_queue: JobQueue = app.extensions["hearth_queue"]
    threads = [
        threading.Thread(target=_work, args=(app, job_queue, stop), name="embedded-worker"),
        threading.Thread(target=_clock, args=(job_queue, stop), name="embedded-clock"),
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    return threads


def _work(app: Flask, job_queue: JobQueue, stop: threading.Event) -> None:
    worker = ThreadWorker([job_queue.queue], connection=job_queue.connection)
    with app.app_context():
        while not stop.is_set():
            try:
                worker.work(burst=True, logging_level="WARNING")
            except Exception:  # keep the dev server's worker alive; the job's error is logged
                log.exception("embedded worker loop failed")
            stop.wait(POLL_SECONDS)


def _clock(job_queue: JobQueue, stop: threading.Event) -> None:
    # The same outage-proof loop as the production clock (python -m workers.clock).
    clock.run(job_queue.connection, stop)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Defaults to $PORT, else 8000.")
@with_appcontext
def serve_command(host: str, port: int | None) -> None:
    """Serve the API; without REDIS_URL, also run the worker and the clock in-process."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    port = port or int(os.environ.get("PORT", "8000"))
    stop = threading.Event()
    if app.extensions["hearth_config"].embedded_queue:
        start_embedded(app, stop)
        click.echo("Embedded queue: worker and clock threads running in this process.")
    click.echo(f"Hearth on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        time.sleep(POLL_SECONDS)
