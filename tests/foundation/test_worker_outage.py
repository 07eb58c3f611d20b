"""A Redis outage in the worker's log: one ERROR with its cause as it starts, a WARNING a minute
while it lasts, one INFO line when Redis answers again; never rq's ERROR at every retry. The
worker still reconnects within seconds, runs what is enqueued after, and stops on SIGTERM
during an outage.

The first test runs the Procfile's `worker` line against a private redis-server (the fault
suite's helper) on a spare port, kills it and starts it again. It needs the redis-server binary
and no DATABASE_URL or REDIS_URL, so it runs in both passes; in the services pass it fails,
rather than skips, when the binary is missing.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from tests.conftest import BASE_REDIS_URL
from tests.faults import harness
from workers.worker import HearthWorker, RedisOutage

OUTAGE_SECONDS = 6.0
# rq retries every 2 s at most (HearthWorker.max_connection_wait_time): back within 5 s.
RECONNECT_SECONDS = 5.0


def _wait_for(predicate: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    return predicate()


class WorkerLog:
    """The JSON lines of the worker process's log file, read from a mark on."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        return self.path.stat().st_size

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        with self.path.open("rb") as f:
            f.seek(since)
            lines = f.read().decode(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def levels(self, since: int, *levels: str) -> list[dict[str, Any]]:
        return [r for r in self.records(since) if r["level"] in levels]

    def said(self, text: str, since: int = 0) -> list[dict[str, Any]]:
        return [r for r in self.records(since) if text in r["message"]]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[harness.RedisServer, harness.Process, WorkerLog]]:
    """A private redis-server and the Procfile's worker on it, logging JSON to a file."""
    if shutil.which("redis-server") is None and not BASE_REDIS_URL:
        pytest.skip("needs the redis-server binary (the REDIS_URL pass fails without it)")
    server = harness.RedisServer(tmp_path)
    server.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "PYTEST", "SENTRY_", "METRICS_"))
    }
    env.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp_path / 'hearth.sqlite3'}",
        REDIS_URL=server.url,
        QUEUE_NAME="hearth",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(harness.HERE),
        PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    # The Procfile's line, without a shell in between: the signals go to the worker itself.
    words = shlex.split(harness._procfile(harness.HERE)["worker"])
    values = {"python": sys.executable, "$REDIS_URL": server.url, "${QUEUE_NAME:-hearth}": "hearth"}
    argv = [values.get(word, word) for word in words]
    worker = harness.Process("worker", argv, env, harness.HERE, tmp_path / "worker.log")
    log = WorkerLog(tmp_path / "worker.log")
    try:
        assert _wait_for(lambda: log.said("Listening on"), 30), log.records()
        yield server, worker, log
    finally:
        worker.stop()
        server.close()


def test_an_outage_is_three_lines_and_the_worker_comes_back(stack) -> None:
    server, worker, log = stack
    queue = Queue("hearth", connection=redis.Redis.from_url(server.url))

    down = log.mark()
    server.stop()  # SIGKILL: Redis is gone, its data with it
    time.sleep(OUTAGE_SECONDS)
    assert worker.alive()
    (error,) = log.levels(down, "ERROR", "CRITICAL")  # not one per retry
    assert "Redis unreachable (ConnectionError: " in error["message"]
    assert error["logger"] == "workers.worker"
    assert log.levels(down, "WARNING") == []  # the first reminder comes after a minute

    up = log.mark()
    server.start()
    (back,) = _wait_for(lambda: log.said("Redis reachable again", up), RECONNECT_SECONDS)
    assert back["level"] == "INFO"
    job = queue.enqueue("math.sqrt", 16)
    assert _wait_for(lambda: job.get_status() == "finished", 10), job.get_status()
    assert job.return_value() == 4.0
    assert log.levels(up, "ERROR", "CRITICAL", "WARNING") == []

    # A second outage is told again, and SIGTERM during it stops the worker at once.
    again = log.mark()
    server.stop()
    assert _wait_for(lambda: log.levels(again, "ERROR"), RECONNECT_SECONDS)
    worker.signal(signal.SIGTERM)
    assert worker.proc.wait(timeout=10) == 0
    assert len(log.levels(again, "ERROR", "CRITICAL")) == 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_long_outage_warns_once_a_minute(caplog) -> None:
    clock = Clock()
    outage = RedisOutage("w1", retry_seconds=2, clock=clock)
    cause = redis.exceptions.ConnectionError("Connection refused")
    with caplog.at_level(logging.DEBUG, logger="workers.worker"):
        for second in range(0, 185, 2):  # three minutes of retries every 2 s
            clock.now = second
            outage.failed(cause)
        clock.now = 190.0
        outage.answered()
        outage.answered()
        clock.now = 300.0
        outage.failed(cause)  # the next outage starts with an ERROR again
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in lines] == [
        "ERROR",
        "WARNING",
        "WARNING",
        "WARNING",
        "INFO",
        "ERROR",
    ]
    assert "Redis unreachable (ConnectionError: Connection refused)" in lines[0][1]
    assert "still unreachable after 60 s" in lines[1][1]
    assert "still unreachable after 180 s" in lines[3][1]
    assert "reachable again after 190.0 s" in lines[4][1]


def test_rqs_own_lines_about_the_outage_go_to_debug(caplog) -> None:
    import fakeredis

    worker = HearthWorker(["hearth"], connection=fakeredis.FakeRedis())
    cause = redis.exceptions.ConnectionError("Connection refused")
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="rq.worker"):
        for _ in range(5):  # as rq's dequeue loop and its pubsub thread write them
            worker.log.error("Worker %s: could not connect to Redis: %s", worker.name, cause)
        try:
            raise redis.exceptions.TimeoutError("Timeout reading from socket")
        except redis.exceptions.TimeoutError:
            worker.log.error("Worker %s: found an unhandled exception", worker.name, exc_info=True)
        worker.log.error("Worker %s: something else", worker.name)  # not Redis: as it was
        worker.heartbeat()  # Redis answers
    errors = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
    assert [name for name, _ in errors] == ["workers.worker", "rq.worker"]
    assert "Redis unreachable (ConnectionError: Connection refused)" in errors[0][1]
    # Still there at DEBUG, each naming the line that wrote it (here, this file's).
    demoted = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert len([r for r in demoted if r.filename == "test_worker_outage.py"]) == 6
    assert not worker.outage.active
    assert "reachable again" in caplog.records[-1].getMessage()
