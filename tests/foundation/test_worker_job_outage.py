"""A job that fails because Redis went away is told at ERROR, once, with its id and function.

During an outage rq cannot record a job's end: its failure handling itself needs Redis, so
the error escapes it and every line rq writes about it is an outage line, at DEBUG under the
worker's one outage ERROR. The operator would not learn which job failed or what becomes of
it. HearthWorker says it in one line (workers/worker.py, _report_unrecorded): which job, how
far it got, and that rq will not run it again while what it owed stays in the database.

The queue is a fakeredis server whose connection the job itself breaks; a timer brings it
back, as Redis coming back, and the worker's loop carries on.
"""

from __future__ import annotations

import logging
import threading

import fakeredis
import pytest
import redis
from rq import Queue
from rq.job import Job

from workers.worker import HearthWorker

SERVER = fakeredis.FakeServer()
BACK_AFTER_SECONDS = 1.0


def _redis_goes_away() -> None:
    SERVER.connected = False
    threading.Timer(BACK_AFTER_SECONDS, lambda: setattr(SERVER, "connected", True)).start()


def fails_during_outage() -> None:
    """A job whose own code fails while Redis is away."""
    _redis_goes_away()
    raise ValueError("the job's own failure")


def fails_on_redis() -> None:
    """A job that fails on a Redis error itself, as Redis goes away."""
    _redis_goes_away()
    raise redis.exceptions.ConnectionError("Connection refused")


def returns_during_outage() -> int:
    """A job that does its work; Redis goes away before rq records it."""
    _redis_goes_away()
    return 1


def fails_on_its_own_redis() -> None:
    """A job whose own Redis client fails while the worker's Redis answers (no outage)."""
    raise redis.exceptions.ConnectionError("another Redis refused")


@pytest.fixture(autouse=True)
def _fakeredis_connections_can_be_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # redis-py 8 names a failed command's connection in a debug line; fakeredis's connection
    # cannot say its name (AttributeError), which would replace the ConnectionError.
    monkeypatch.setattr(redis.client, "add_debug_log_for_operation_failure", lambda conn: None)


def _run(function_name: str, caplog: pytest.LogCaptureFixture) -> tuple[Job, list]:
    SERVER.connected = True
    connection = fakeredis.FakeRedis(server=SERVER)
    connection.flushall()
    queue = Queue("hearth", connection=connection)
    job = queue.enqueue(f"{__name__}.{function_name}")
    worker = HearthWorker([queue], connection=connection)
    with caplog.at_level(logging.DEBUG):
        worker.work(burst=True)
    assert SERVER.connected
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    return job, loud


@pytest.mark.parametrize("function_name", ["fails_during_outage", "fails_on_redis"])
def test_a_job_that_fails_during_an_outage_is_one_error_naming_it(function_name, caplog):
    job, loud = _run(function_name, caplog)
    about_job = [r for r in loud if job.id in r.getMessage()]
    assert len(about_job) == 1, [r.getMessage() for r in loud]
    (line,) = about_job
    message = line.getMessage()
    assert line.levelno == logging.ERROR
    assert f"job {job.id} ({__name__}.{function_name})" in message
    assert "rq will not run it again" in message
    assert "still in the database" in message
    assert line.exc_info is not None  # the job's own traceback
    assert line.job_id == job.id
    # Besides it, only the outage's own line: one ERROR, not one per retry.
    others = [r.getMessage() for r in loud if r is not line]
    assert len(others) == 1 and "Redis unreachable" in others[0], others
    # Where it went: left "started" while Redis was away; rq's registry cleanup, once its
    # execution has expired, moves it to the failed registry (rq retries it only if the job
    # was enqueued with retries left, which Hearth's jobs are not: the database decides).
    assert job.get_status(refresh=True) == "started"
    queue = Queue("hearth", connection=job.connection)
    queue.started_job_registry.cleanup(timestamp=float("inf"))
    assert job.id in queue.failed_job_registry.get_job_ids()


def test_a_job_that_ran_before_redis_went_away_says_so_as_a_warning(caplog):
    job, loud = _run("returns_during_outage", caplog)
    (line,) = [r for r in loud if job.id in r.getMessage()]
    assert line.levelno == logging.WARNING
    assert "ran to its end" in line.getMessage()


def test_a_job_failing_on_its_own_redis_while_the_workers_answers_is_rqs_error(caplog):
    job, loud = _run("fails_on_its_own_redis", caplog)
    # rq's own line (id, function, traceback) at ERROR, and no outage: the worker's Redis is up.
    assert [r.levelno for r in loud] == [logging.ERROR], [r.getMessage() for r in loud]
    assert job.id in loud[0].getMessage()
    assert "fails_on_its_own_redis" in loud[0].getMessage()
    assert job.get_status(refresh=True) == "failed"
