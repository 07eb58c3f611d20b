"""The embedded default: worker and clock threads in the serving process deliver by themselves."""

from __future__ import annotations

import threading
import time

from api.extensions import db
from api.notifications.models import Notification
from api.notifications.service import notify
from tests.factories import DeviceFactory, UserFactory, couple_id_of
from workers.embedded import start_embedded


def test_worker_thread_delivers_without_anyone_running_jobs(app):
    user = UserFactory()
    DeviceFactory(user=user)
    stop = threading.Event()
    threads = start_embedded(app, stop)
    try:
        notification_id = notify(
            db.session,
            recipient_id=user.id,
            couple_id=couple_id_of(user),
            category="affirmation",
            title="Hearth",
            body="You are loved",
            dedupe_key="embedded-1",
        )
        db.session.commit()
        deadline = time.monotonic() + 20
        status = "pending"
        while status != "sent" and time.monotonic() < deadline:
            time.sleep(0.1)
            db.session.expire_all()
            status = db.session.get(Notification, notification_id).status
        assert status == "sent"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)


def _clock_first_pass(job_queue) -> set[str]:
    """Run only the embedded clock until its first pass enqueued the registered jobs."""
    from workers.embedded import _clock

    stop = threading.Event()
    thread = threading.Thread(target=_clock, args=(job_queue, stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while job_queue.queue.count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    return {job.func_name for job in job_queue.queue.get_jobs()}


def test_clock_thread_enqueues_the_cron_jobs(app):
    assert "workers.scheduler.sweep_pending" in _clock_first_pass(app.extensions["hearth_queue"])


def test_the_clock_thread_enqueues_on_the_configured_queue(make_app):
    job_queue = make_app(QUEUE_NAME="hearth-eu").extensions["hearth_queue"]
    from rq import Queue

    assert "workers.scheduler.sweep_pending" in _clock_first_pass(job_queue)
    assert job_queue.queue.name == "hearth-eu"
    assert Queue("hearth", connection=job_queue.connection).count == 0
