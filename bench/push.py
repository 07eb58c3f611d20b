"""Push delivery throughput: one worker process -> the fake FCM server on loopback.

    python bench/push.py [--sizes 1,100,10000] [--database-url URL]

For each size N it writes N notifications, each to a different recipient with one device,
then times `workers.delivery.deliver(ids)` (the job body: lock, build, send through
firebase-admin's messaging.send on the sender's threads, record, commit) in this process.
The ceiling is the rate of raw HTTP POSTs of the same FCM requests to the same server from
this process (keep-alive connections, as many threads as the sender uses, no SDK, no
database). It also times the sender alone (FirebaseSender.send, no database) against
firebase-admin's send_each and send_each_async, to tell the SDK's share from Hearth's.

It writes into a scratch database: with --database-url (or DATABASE_URL) naming a PostgreSQL
server, a new database on that server, dropped at the end; otherwise a throw-away SQLite file.
The database the URL names is never written to.

The fake server runs in its own process so that it does not share this process's GIL.
Figures depend on the machine; compare the ratio, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import parse_sizes, scratch_database  # noqa: E402


def start_fake() -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.google"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def make_app(database_url: str, service_account: Path, fake: dict):
    import logging

    from flask_migrate import upgrade

    from api import create_app
    from api.config import Config

    config = Config.from_env(
        {},
        APP_ENV="test",
        DATABASE_URL=database_url,
        PUSH_BACKEND="firebase",
        GOOGLE_APPLICATION_CREDENTIALS=str(service_account),
        FIREBASE_PROJECT_ID=fake["service_account"]["project_id"],
        FCM_ENDPOINT=fake["url"],
        FCM_TIMEOUT_SECONDS=30.0,
        LOG_LEVEL="WARNING",
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
    logging.getLogger().setLevel(logging.WARNING)
    return app


def write_notifications(app, n: int, run: str) -> list[int]:
    """N recipients with one device each, one notification each, in one transaction."""
    from api.devices.models import Device
    from api.extensions import db
    from api.notifications.service import notify
    from api.pairing.models import Couple
    from api.users.models import User

    with app.app_context():
        users = [User(uid=f"{run}-u{i}", display_name=f"U{i}") for i in range(n)]
        db.session.add_all(users)
        db.session.flush()
        # Pushes about a couple go only to its partners: pair the users two by two.
        pairs = [users[i : i + 2] for i in range(0, n, 2)]  # the last one alone if n is odd
        couples = [
            Couple(user_a_id=pair[0].id, user_b_id=pair[1].id if len(pair) == 2 else None)
            for pair in pairs
        ]
        db.session.add_all(couples)
        db.session.flush()
        for couple, pair in zip(couples, pairs, strict=True):
            for user in pair:
                user.couple_id = couple.id
        db.session.add_all(
            Device(user_id=u.id, token=f"{run}-token-{i:06d}-" + "x" * 140, platform="android")
            for i, u in enumerate(users)
        )
        ids = [
            notify(
                db.session,
                recipient_id=u.id,
                couple_id=u.couple_id,
                category="affirmation",
                title="Today's affirmation",
                body="You make ordinary days feel special",
                data={"affirmation_id": i},
                dedupe_key=f"{run}-{i}",
            )
            for i, u in enumerate(users)
        ]
        db.session.info.pop("hearth_outbox", None)  # timed below instead of enqueued
        db.session.commit()
        db.session.remove()
        return [i for i in ids if i is not None]


def time_worker(app, ids: list[int]) -> float:
    from sqlalchemy import func, select

    from api.extensions import db
    from api.notifications.models import Notification
    from workers import delivery

    with app.app_context():
        start = time.perf_counter()
        delivery.deliver(ids)
        elapsed = time.perf_counter() - start
        sent = db.session.scalar(
            select(func.count()).where(Notification.id.in_(ids), Notification.status == "sent")
        )
        db.session.remove()
    assert sent == len(ids), f"only {sent} of {len(ids)} sent"
    return elapsed


def raw_bodies(app, n: int) -> list[bytes]:
    """The JSON bodies firebase-admin would POST for N messages like the worker's."""
    from firebase_admin import messaging

    from api.clock import now
    from workers.fcm import to_fcm_message
    from workers.push import PushMessage

    moment = now()
    bodies = []
    for i in range(n):
        message = to_fcm_message(
            PushMessage(
                device_id=i,
                token=f"raw-token-{i:06d}-" + "x" * 140,
                title="Today's affirmation",
                body="You make ordinary days feel special",
                data={"affirmation_id": str(i), "notification_id": str(i)},
                category="affirmation",
                channel_id="affirmations",
            ),
            moment,
        )
        bodies.append(
            json.dumps({"message": messaging._MessagingService.encode_message(message)}).encode()
        )
    return bodies


def time_raw(url: str, project: str, access_token: str, bodies: list[bytes], threads: int) -> float:
    """Raw keep-alive POSTs from `threads` threads: the ceiling of this process + server."""
    parts = urlsplit(url)
    path = f"/v1/projects/{project}/messages:send"
    local = threading.local()
    headers = {"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"}

    def post(body: bytes) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"raw POST answered {response.status}")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(post, bodies))
    return time.perf_counter() - start


def compare_send_each(app, n: int) -> tuple[float, float, float]:
    """Messages per second of FirebaseSender.send, send_each and send_each_async (no database)."""
    from firebase_admin import messaging

    from api.clock import now
    from workers.fcm import to_fcm_message
    from workers.push import PushMessage, get_sender

    with app.app_context():
        sender = get_sender(app.extensions["hearth_config"])
        fb_app = sender.app()
        moment = now()
        msgs = [
            to_fcm_message(
                PushMessage(
                    i, f"cmp-{i}", "t", "b", {"notification_id": str(i)}, "affirmation", "a"
                ),
                moment,
            )
            for i in range(n)
        ]
        pushes = [
            PushMessage(i, f"cmp-{i}", "t", "b", {"notification_id": str(i)}, "affirmation", "a")
            for i in range(n)
        ]
        sender.send(pushes[:10])  # warm: token, connections, threads
        start = time.perf_counter()
        for i in range(0, n, 100):
            assert all(r.ok for r in sender.send(pushes[i : i + 100]))
        sender_rate = n / (time.perf_counter() - start)
        messaging.send_each(msgs[:10], app=fb_app)
        start = time.perf_counter()
        for i in range(0, n, 500):
            assert messaging.send_each(msgs[i : i + 500], app=fb_app).failure_count == 0
        sync_rate = n / (time.perf_counter() - start)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(messaging.send_each_async(msgs[:10], app=fb_app))
        start = time.perf_counter()
        for i in range(0, n, 500):
            batch = loop.run_until_complete(
                messaging.send_each_async(msgs[i : i + 500], app=fb_app)
            )
            assert batch.failure_count == 0
        async_rate = n / (time.perf_counter() - start)
        loop.close()
    return sender_rate, sync_rate, async_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,10000")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL server to make a scratch database on (default: a SQLite file)",
    )
    parser.add_argument("--compare", type=int, default=2000, help="messages, sender alone")
    parser.add_argument(
        "--no-freeze", action="store_true", help="skip the worker's gc.freeze (to see its effect)"
    )
    args = parser.parse_args()

    proc, fake = start_fake()
    tmp = Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    try:
        with scratch_database(args.database_url, "push") as (database_url, backend):
            run(args, fake, tmp, database_url, backend)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def run(args, fake: dict, tmp: Path, database_url: str, backend: str) -> None:  # type: ignore[no-untyped-def]
    """The figures, on the scratch database at database_url."""
    service_account = tmp / "service-account.json"
    service_account.write_text(json.dumps(fake["service_account"]))
    app = make_app(database_url, service_account, fake)

    from api.extensions import db
    from api.gc_freeze import freeze_loaded
    from workers import delivery
    from workers.push import get_sender

    with app.app_context():
        sender = get_sender(app.extensions["hearth_config"])
        sender.send([])  # nothing; the app is made on first real send below
    time_worker(app, write_notifications(app, 5, "warmup"))
    if not args.no_freeze:
        freeze_loaded()  # as the worker does after its first job (workers/worker.py)
    with app.app_context():
        token = sender.app().credential.get_credential().token

    db_name = "PostgreSQL" if backend == "postgresql" else "SQLite"
    print(f"Push delivery, one worker process -> fake FCM on loopback ({db_name})")
    print(f"delivery batch: {delivery.BATCH_SIZE} notifications per send and commit\n")
    print(f"{'recipients':>10} | {'worker notif/s':>14} | {'raw POST/s':>10} | {'ratio':>6}")
    print(f"{'-' * 10}-+-{'-' * 14}-+-{'-' * 10}-+-{'-' * 6}")
    for n in parse_sizes(args.sizes):
        ids = write_notifications(app, n, f"run{n}")
        worker = n / time_worker(app, ids)
        bodies = raw_bodies(app, n)
        raw = n / time_raw(
            fake["url"],
            fake["service_account"]["project_id"],
            token,
            bodies,
            threads=min(n, delivery.BATCH_SIZE),
        )
        print(f"{n:>10} | {worker:>14.0f} | {raw:>10.0f} | {worker / raw:>6.2f}")

    if args.compare:
        sender_rate, sync_rate, async_rate = compare_send_each(app, args.compare)
        print(f"\nsender only, {args.compare} messages, no database:")
        print(f"  FirebaseSender   {sender_rate:8.0f} msg/s   (batches of 100, kept threads)")
        print(f"  send_each        {sync_rate:8.0f} msg/s   (batches of 500)")
        print(
            f"  send_each_async  {async_rate:8.0f} msg/s   (send_each / async = "
            f"{sync_rate / async_rate:.1f}x)"
        )
    with app.app_context():
        db.engine.dispose()  # before the scratch database is dropped


if __name__ == "__main__":
    main()
