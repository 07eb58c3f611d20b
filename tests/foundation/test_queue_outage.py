"""A hung Redis costs a write half a second once, then nothing while the breaker is open."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from api import queue as queue_module
from api.extensions import db
from api.notifications.models import Notification
from api.notifications.service import notify
from tests.factories import UserFactory, couple_id_of


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never answers (a frozen Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        server.close()


def _write(key: str) -> float:
    """Write one notification in its own transaction; seconds the commit took (with enqueue)."""
    user = UserFactory()
    db.session.commit()
    notify(
        db.session,
        recipient_id=user.id,
        couple_id=couple_id_of(user),
        category="affirmation",
        title="Today's affirmation",
        body="You are loved",
        dedupe_key=key,
    )
    start = time.monotonic()
    db.session.commit()
    return time.monotonic() - start


def test_writes_stay_fast_while_redis_hangs(make_app, hung_redis, caplog):
    app = make_app(REDIS_URL=hung_redis)
    with app.app_context(), caplog.at_level(logging.WARNING):
        first = _write("hung-1")
        rest = [_write(f"hung-{i}") for i in range(2, 12)]
        # Every row is there, pending for the sweep.
        statuses = db.session.scalars(select(Notification.status)).all()
        db.session.remove()

    assert first < 1.5  # one short timeout, not 5 s
    assert sum(rest) < 1.0  # the breaker skips the enqueue: no timeout paid at all
    assert statuses == ["pending"] * 11
    warnings = [r for r in caplog.records if r.name == "api.queue"]
    assert len(warnings) == 1  # logged once per outage, not per write


def test_readyz_answers_503_at_once_while_redis_hangs(make_app, hung_redis):
    app = make_app(REDIS_URL=hung_redis)
    start = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - start < 1.5
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] is False


def test_the_breaker_closes_after_a_few_seconds(app, monkeypatch):
    job_queue = queue_module.JobQueue(app.extensions["hearth_config"])
    clock = [1000.0]
    monkeypatch.setattr(queue_module.time, "monotonic", lambda: clock[0])
    calls: list[str] = []

    def refuse(*args, **kwargs):
        calls.append("try")
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(job_queue.queue, "enqueue", refuse)
    assert job_queue.enqueue(queue_module.DELIVER_JOB, [1]) is False
    assert job_queue.enqueue(queue_module.DELIVER_JOB, [2]) is False
    assert calls == ["try"]  # the second did not even try

    clock[0] += queue_module.BREAKER_SECONDS + 0.1
    monkeypatch.setattr(job_queue.queue, "enqueue", lambda *a, **k: calls.append("ok"))
    assert job_queue.enqueue(queue_module.DELIVER_JOB, [3]) is True
    assert job_queue.enqueue(queue_module.DELIVER_JOB, [4]) is True
    assert calls == ["try", "ok", "ok"]
    assert not job_queue.breaker_open()


def test_a_rate_limited_write_goes_on_while_redis_hangs(make_app, hung_redis):
    from tests.conftest import auth

    app = make_app(REDIS_URL=hung_redis)
    client = app.test_client()
    assert client.get("/v1/me", headers=auth("joiner")).status_code == 200
    start = time.monotonic()
    # The join endpoint's limiter counts in Redis: it must neither wait 5 s nor answer 500.
    response = client.post("/v1/couple", json={"code": "ABCD2345"}, headers=auth("joiner"))
    assert time.monotonic() - start < 2.5
    assert response.status_code == 404  # the unknown code's answer, as with Redis up
