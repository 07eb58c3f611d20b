"""The embedded default: one process serves the API, drains the queue and runs the clock.

Used by `flask serve` (and `make run`) when REDIS_URL is unset: the queue is an in-process
fakeredis, so a newcomer needs nothing but Python. Production runs the same jobs in separate
`rq worker` and `rq cron` processes (see Procfile).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty
from werkzeug.serving import WSGIRequestHandler, make_server

from api.queue import JobQueue
from workers import clock

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class ThreadWorker(SimpleWorker):
    """An RQ worker that can live in a non-main thread (no signal handlers, timer timeouts)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signals belong to the main thread; the serving process handles them."""


class BannerlessRequestHandler(WSGIRequestHandler):
    """The dev server's handler without "Server: Werkzeug/x Python/y": versions help attackers."""

    server_version = "Hearth"
    sys_version = ""

    def version_string(self) -> str:
        """The Server header: the product name only."""
        return self.server_version


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
    clock.run(job_queue.connection, stop, queue_name=job_queue.queue.name)


@click.command("serve")
@click.option(
    "--host",
    default=None,
    help="The address to bind: $HOST, else 127.0.0.1 (0.0.0.0 reaches it from the LAN).",
)
@click.option("--port", type=int, default=None, help="Defaults to $PORT, else 8000.")
@with_appcontext
def serve_command(host: str | None, port: int | None) -> None:
    """Serve the API; without REDIS_URL, also run the worker and the clock in-process."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    host = host or os.environ.get("HOST") or "127.0.0.1"
    if port is None:  # not `or`: --port 0 asks the system for a free port
        port = int(os.environ.get("PORT") or "8000")
    try:
        # Binds now: the banner below is printed only once the port is really ours.
        server = make_server(
            host, port, app, threaded=True, request_handler=BannerlessRequestHandler
        )
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror}"
            " (another port: --port, $PORT, or `make run PORT=9000`)"
        ) from None
    stop = threading.Event()
    if app.extensions["hearth_config"].embedded_queue:
        start_embedded(app, stop)
        click.echo("Embedded queue: worker and clock threads running in this process.")
    for line in banner(host, server.port):
        click.echo(line)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stop.set()
        time.sleep(POLL_SECONDS)


def banner(host: str, port: int) -> list[str]:
    """The start lines: where the API and its docs answer (and, on 0.0.0.0, the LAN address)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    lines = [f"Hearth on http://{shown}:{port}  (API docs: http://{shown}:{port}/docs)"]
    if host in ("0.0.0.0", "::"):
        address = lan_address()
        where = f"http://{address}:{port}" if address else f"this machine's address, port {port}"
        lines.append(f"Listening on every interface: phones on this network reach {where}")
    return lines


def lan_address() -> str | None:
    """This machine's address on its LAN, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            # Connecting a UDP socket only picks the route and so the local address.
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
