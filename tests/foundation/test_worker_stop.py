"""The Procfile's worker stops on the platform's stop signal, idle or busy (finishing its job)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import fakeredis
import pytest
from rq import Queue

from workers.worker import HearthWorker

GRACE_SECONDS = 10


@pytest.fixture
def stop_guard() -> Iterator[None]:
    """Fail instead of hanging if the worker outlives its stop signal; restore the handlers."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def still_running(signum, frame):
        # SystemExit: rq's work loop swallows every other exception and returns.
        raise SystemExit(f"the worker was still running {GRACE_SECONDS} s after the signal")

    previous_alarm = signal.signal(signal.SIGALRM, still_running)
    signal.alarm(GRACE_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous_alarm)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _signal_self_later(sig: int, delay: float) -> None:
    threading.Timer(delay, os.kill, (os.getpid(), sig)).start()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_idle_worker_stops_on_a_stop_signal(sig, stop_guard):
    worker = HearthWorker(["hearth"], connection=fakeredis.FakeRedis())
    _signal_self_later(sig, 0.5)  # by then it waits on the empty queue
    assert worker.work() is False


def signal_self_and_return() -> str:
    """A job that gets the stop signal while it runs."""
    os.kill(os.getpid(), signal.SIGTERM)
    return "finished"


def test_a_busy_worker_finishes_its_job_then_stops(stop_guard):
    connection = fakeredis.FakeRedis()
    queue = Queue("hearth", connection=connection)
    job = queue.enqueue(signal_self_and_return)
    later = queue.enqueue(signal_self_and_return)
    assert HearthWorker([queue], connection=connection).work() is True
    job.refresh()
    assert job.return_value() == "finished"
    assert later.get_status() == "queued"  # stopped after the running job, took no other
