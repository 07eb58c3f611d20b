"""A worker SIGKILLed mid-job: no device ever gets a notification twice (at most once).

The worker is a real process running the delivery job against the fake FCM server; the
fake kills it (SIGKILL, no cleanup) when the k-th message arrives and never answers that one.
The batch it had claimed (attempts committed, answers not) ends `unknown` and is not re-sent;
the batches it never claimed are delivered by the rerun.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from api.config import Config
from api.extensions import db
from api.notifications.models import Delivery, Notification
from api.notifications.service import notify
from tests.factories import DeviceFactory, UserFactory, couple_id_of
from tests.fakes.google import FakeGoogle
from workers import delivery

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCH = 4
USERS = 16


def _env(config: Config) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    for f in fields(config):
        value = getattr(config, f.name)
        if value is not None and f.name != "REDIS_URL":
            env[f.name] = str(value)
    env["PYTHONPATH"] = ROOT
    return env


def _start_worker(config: Config, ids: list[int]) -> subprocess.Popen:
    code = (
        "import sys, workers.delivery as d; d.BATCH_SIZE = int(sys.argv[1]); "
        "d.deliver([int(i) for i in sys.argv[2].split(',')])"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(BATCH), ",".join(map(str, ids))],
        env=_env(config),
        cwd=ROOT,
    )


def _kill_after(fake: FakeGoogle, taken: int, proc_holder: list[subprocess.Popen]) -> None:
    lock = threading.Lock()

    def on_send(accepted: int) -> None:
        with lock:
            if accepted >= taken and fake.hold is None:
                fake.hold = threading.Event()  # this message and any later: never answered
                os.kill(proc_holder[0].pid, signal.SIGKILL)

    fake.on_send = on_send


def _setup(firebase_config: Config) -> list[int]:
    users = [UserFactory() for _ in range(USERS)]
    for i, user in enumerate(users):
        DeviceFactory(user=user, token=f"kill-token-{i:02d}")
    ids = [
        notify(
            db.session,
            recipient_id=user.id,
            couple_id=couple_id_of(user),
            category="affirmation",
            title="Today's affirmation",
            body="You make ordinary days feel special",
            dedupe_key=f"daily-{i}",
        )
        for i, user in enumerate(users)
    ]
    db.session.info.pop("hearth_outbox", None)  # the worker process is told the ids instead
    db.session.commit()
    db.session.remove()
    return ids


def _run_killed_worker(fake: FakeGoogle, firebase_config: Config, ids: list[int], k: int) -> None:
    holder: list[subprocess.Popen] = []
    _kill_after(fake, k, holder)
    holder.append(_start_worker(firebase_config, ids))
    assert holder[0].wait(timeout=60) == -signal.SIGKILL
    fake.on_send = None
    fake.hold.set()  # let the held request threads go; nothing was answered
    time.sleep(0.1)
    fake.hold = None


def _rerun(ids: list[int], clock) -> None:
    # The killed run's claimed rows are leased: due again once the lease is over.
    clock.set(datetime.now(UTC) + delivery.send_lease(Config()) + timedelta(seconds=1))
    # PostgreSQL may take a moment to end the dead worker's session and free its row locks
    # (the job skips locked rows), so run again until nothing is pending.
    for _ in range(50):
        delivery.deliver(ids)
        db.session.remove()
        pending = db.session.scalar(
            select(func.count()).where(Notification.status == "pending", Notification.id.in_(ids))
        )
        if not pending:
            return
        time.sleep(0.1)
    raise AssertionError("notifications still pending after reruns")


def _statuses() -> dict[str, int]:
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status: n for status, n in rows}


def _tokens(start: int, stop: int) -> set[str]:
    return {f"kill-token-{i:02d}" for i in range(start, stop)}


def test_killed_between_batches_no_device_gets_a_second_copy(
    firebase_app, firebase_config, fake_google, clock, caplog
):
    ids = _setup(firebase_config)

    # Batches of 4: the kill comes as batch 3's first message arrives (FCM never answers it).
    _run_killed_worker(fake_google, firebase_config, ids, k=2 * BATCH)

    assert len(fake_google.accepted) == 2 * BATCH
    # Batches 1-2 recorded; batch 3's attempts were committed before its send.
    assert _statuses() == {"sent": 2 * BATCH, "sending": BATCH}
    _rerun(ids, clock)

    # Batch 3 is not re-sent (its fate is unknown); batch 4 was never claimed: sent now.
    assert fake_google.accepted_tokens() == {t: 1 for t in _tokens(0, 2 * BATCH)} | {
        t: 1 for t in _tokens(3 * BATCH, USERS)
    }
    assert _statuses() == {"sent": 3 * BATCH, "unknown": BATCH}
    assert "push outcome unknown for 4 device copies" in caplog.text
    statuses = db.session.scalars(select(Notification.status).where(Notification.id.in_(ids)))
    assert set(statuses) == {"sent"}


def test_killed_inside_a_batch_never_sends_a_device_twice(
    firebase_app, firebase_config, fake_google, clock, caplog
):
    ids = _setup(firebase_config)

    # The kill comes mid-batch 2: FCM took two of its messages, and nothing was recorded.
    _run_killed_worker(fake_google, firebase_config, ids, k=BATCH + 2)
    _rerun(ids, clock)

    counts = fake_google.accepted_tokens()
    assert set(counts.values()) == {1}  # at most once per device
    # Batch 2's four copies are unknown (some reached FCM, the others not): none is re-sent.
    # Its messages go out in parallel, so which of them FCM took before the kill varies.
    assert _tokens(0, BATCH) | _tokens(2 * BATCH, USERS) <= set(counts)
    assert 2 <= len(set(counts) & _tokens(BATCH, 2 * BATCH)) < BATCH
    assert _statuses() == {"sent": USERS - BATCH, "unknown": BATCH}
    assert "push outcome unknown for 4 device copies" in caplog.text
