"""A worker SIGKILLed mid-job: the rerun sends each device only what it has not taken.

The worker is a real process running the delivery job against the fake FCM server; the
fake kills it (SIGKILL, no cleanup) when the k-th message arrives and never answers that one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import fields

from sqlalchemy import func, select

from api.config import Config
from api.extensions import db
from api.notifications.models import Delivery, Notification
from api.notifications.service import notify
from tests.factories import DeviceFactory, UserFactory
from tests.fakes.google import FakeGoogle
from workers import delivery

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCH = 4
USERS = 12


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


def _rerun(ids: list[int]) -> None:
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


def test_killed_between_batches_no_device_gets_a_second_copy(
    firebase_app, firebase_config, fake_google
):
    ids = _setup(firebase_config)

    # Batches of 4: the kill comes as batch 3's first message arrives.
    _run_killed_worker(fake_google, firebase_config, ids, k=2 * BATCH)

    assert len(fake_google.accepted) == 2 * BATCH
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2 * BATCH
    _rerun(ids)

    assert fake_google.accepted_tokens() == {f"kill-token-{i:02d}": 1 for i in range(USERS)}
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == USERS
    statuses = db.session.scalars(select(Notification.status).where(Notification.id.in_(ids)))
    assert set(statuses) == {"sent"}


def test_killed_inside_a_batch_resends_only_that_batch_and_the_phone_collapses_it(
    firebase_app, firebase_config, fake_google
):
    ids = _setup(firebase_config)

    # The kill comes mid-batch 2: what FCM took of batch 2 was never recorded.
    _run_killed_worker(fake_google, firebase_config, ids, k=BATCH + 2)
    _rerun(ids)

    counts = fake_google.accepted_tokens()
    assert set(counts) == {f"kill-token-{i:02d}" for i in range(USERS)}
    doubled = {token for token, n in counts.items() if n > 1}
    # At-least-once for the one batch in flight, never more than one extra copy ...
    assert doubled <= {f"kill-token-{i:02d}" for i in range(BATCH, 2 * BATCH)}
    assert all(counts[t] == 2 for t in doubled)
    # ... and both copies carry the same collapse id / tag, so the phone shows one.
    for token in doubled:
        copies = [r.message for r in fake_google.accepted if r.token == token]
        assert len({c["apns"]["headers"]["apns-collapse-id"] for c in copies}) == 1
        assert len({c["android"]["notification"]["tag"] for c in copies}) == 1
