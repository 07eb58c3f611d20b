"""The clock process survives a Redis outage and resumes on its own (issue 16, finding 1)."""

from __future__ import annotations

import logging
import threading
import time

import fakeredis
from rq import Queue

from workers import clock


def _queued(connection: fakeredis.FakeRedis) -> int:
    return Queue("hearth", connection=connection).count


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_clock_survives_a_redis_outage_and_resumes(caplog):
    server = fakeredis.FakeServer()
    connection = fakeredis.FakeRedis(server=server)
    stop = threading.Event()
    thread = threading.Thread(
        target=clock.run,
        args=(connection, stop),
        kwargs={"config": "tests.foundation.clock_schedule"},
        daemon=True,
    )
    with caplog.at_level(logging.INFO, logger="workers.clock"):
        thread.start()
        try:
            assert _wait_for(lambda: _queued(connection) >= 1)

            server.connected = False  # Redis goes away for three seconds
            time.sleep(3)
            assert thread.is_alive()
            server.connected = True
            before = _queued(connection)
            # Back within the backoff's cap, and enqueueing on schedule again.
            assert _wait_for(lambda: _queued(connection) >= before + 2, timeout=8)
        finally:
            stop.set()
            thread.join(timeout=10)
    assert not thread.is_alive()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1  # one line per outage, not per tick
    assert "clock cannot enqueue" in errors[0].getMessage()
    assert any("clock enqueueing again" in r.getMessage() for r in caplog.records)


def test_the_procfile_runs_this_clock_and_the_quick_worker():
    from pathlib import Path

    procfile = (Path(__file__).parents[2] / "Procfile").read_text()
    lines = dict(line.split(": ", 1) for line in procfile.strip().splitlines())
    assert lines["clock"] == "python -m workers.process clock"
    assert "--worker-class workers.worker.HearthWorker" in lines["worker"]

    from workers.worker import HearthWorker

    assert HearthWorker.max_connection_wait_time <= 2


def test_the_worker_starts_its_loop_again_after_a_redis_error(monkeypatch):
    import redis
    from rq import SimpleWorker
    from rq.exceptions import StopRequested

    from workers.worker import HearthWorker

    ends = iter(
        [
            lambda: False,  # rq's loop quit on an error mid-job ("unhandled exception, quitting")
            lambda: (_ for _ in ()).throw(redis.exceptions.ConnectionError("refused")),
            lambda: True,  # ran again, then stopped on request
        ]
    )
    runs: list[str] = []

    def fake_work(self, burst=False, **kwargs):
        runs.append("run")
        result = next(ends)()
        if runs.count("run") == 3:
            self._stop_requested = True
        return result

    monkeypatch.setattr(SimpleWorker, "work", fake_work)
    monkeypatch.setattr(HearthWorker, "_forget_registration", lambda self: runs.append("forget"))
    monkeypatch.setattr("workers.worker.time.sleep", lambda s: runs.append(f"wait {s}"))
    worker = HearthWorker(["hearth"], connection=fakeredis.FakeRedis())
    assert worker.work() is True
    assert runs == ["run", "forget", "wait 0.5", "run", "forget", "wait 1.0", "run"]

    # A stop during the wait ends it; burst mode ends as rq's does.
    def stop(seconds):
        raise StopRequested()

    monkeypatch.setattr("workers.worker.time.sleep", stop)
    ends = iter([lambda: False])
    runs.clear()
    assert HearthWorker(["hearth"], connection=fakeredis.FakeRedis()).work() is False
    ends = iter([lambda: False])
    assert HearthWorker(["hearth"], connection=fakeredis.FakeRedis()).work(burst=True) is False


def test_the_clock_process_enqueues_on_queue_name(monkeypatch):
    import os
    import signal

    from api.config import Config
    from workers import process

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr(clock, "connect", lambda url: connection)
    config = Config.from_env({}, REDIS_URL="redis://clock.invalid/0", QUEUE_NAME="hearth-eu")
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    stopper = threading.Thread(
        target=lambda: (
            _wait_for(lambda: connection.keys("rq:queue:*"))
            and os.kill(os.getpid(), signal.SIGTERM)
        )
    )
    stopper.start()
    try:
        process.run_clock(config, "tests.foundation.clock_schedule")
    finally:
        stopper.join()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert Queue("hearth-eu", connection=connection).count >= 1
    assert _queued(connection) == 0  # nothing on the default "hearth"
