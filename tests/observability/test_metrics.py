"""/metrics: requests by endpoint and status, queue depth, deliveries, reminder lag, processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.extensions import db
from api.users.models import User
from tests.conftest import auth
from tests.factories import CoupleFactory, DeviceFactory

ROOT = Path(__file__).resolve().parents[2]


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The /metrics answer as {(sample name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_by_endpoint_and_status_with_latency(client):
    before = value(
        "hearth_http_request_duration_seconds_count",
        endpoint="/v1/couple/rituals/<int:ritual_id>",
        method="GET",
        status="404",
    )
    client.get("/v1/me", headers=auth("alex"))
    client.get("/v1/couple/rituals/123456", headers=auth("alex"))

    samples = scrape(client)
    route = (
        ("endpoint", "/v1/couple/rituals/<int:ritual_id>"),
        ("method", "GET"),
        ("status", "404"),
    )
    # The route's template, not the id: one series per endpoint, however many rows exist.
    assert samples[("hearth_http_request_duration_seconds_count", route)] == before + 1
    assert (
        samples[
            ("hearth_http_request_duration_seconds_bucket", tuple(sorted((*route, ("le", "+Inf")))))
        ]
        >= 1
    )
    me = (("endpoint", "/v1/me"), ("method", "GET"), ("status", "200"))
    assert samples[("hearth_http_request_duration_seconds_count", me)] >= 1
    assert samples[("hearth_http_request_duration_seconds_sum", me)] > 0


def test_queue_depth_by_state(client, app):
    queue = app.extensions["hearth_queue"]
    queue.enqueue("workers.scheduler.sweep_pending")
    queue.enqueue("workers.scheduler.sweep_pending")

    samples = scrape(client)
    assert samples[("hearth_queue_jobs", (("queue", "hearth"), ("state", "queued")))] == 2
    assert samples[("hearth_queue_jobs", (("queue", "hearth"), ("state", "failed")))] == 0


def test_deliveries_by_outcome(client, run_jobs):
    couple = CoupleFactory(a__uid="ann", b__uid="ben")
    ann = db.session.get(User, couple.user_a_id)
    DeviceFactory(user=ann)
    sent = value("hearth_push_deliveries_total", category="partner_nudge", outcome="sent")
    suppressed = value(
        "hearth_push_deliveries_total", category="partner_nudge", outcome="suppressed"
    )
    ritual = client.post(
        "/v1/couple/rituals",
        headers=auth("ben"),
        json={
            "client_id": "8f0c6e1e-2f7a-4c47-9f59-0d6f1b0c9a11",
            "title": "Coffee",
            # Every day: a nudge on a day the ritual is not scheduled is a 409.
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "08:00",
            },
        },
    ).get_json()
    client.post(f"/v1/couple/rituals/{ritual['id']}/nudge", headers=auth("ben"))
    client.post(f"/v1/couple/rituals/{ritual['id']}/nudge", headers=auth("ann"))
    run_jobs()

    assert (
        value("hearth_push_deliveries_total", category="partner_nudge", outcome="sent") == sent + 1
    )
    # Ben has no phone: his copy stays in the feed, unpushed.
    assert (
        value("hearth_push_deliveries_total", category="partner_nudge", outcome="suppressed")
        == suppressed + 1
    )


def test_reminder_lag_behind_the_scheduled_time(client, app, clock, run_jobs):
    CoupleFactory(a__uid="cat", b__uid="dan", timezone="UTC")
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    client.post(
        "/v1/couple/rituals",
        headers=auth("cat"),
        json={
            "client_id": "5b0a7a57-3a55-4d0a-a2a8-1c4a4a0f2b22",
            "title": "Walk",
            "schedule": {"days": ["mon"], "time": "18:00"},
        },
    )
    count = value("hearth_reminder_lag_seconds_count")
    within_minute = value("hearth_reminder_lag_seconds_bucket", le="60.0")
    late = value("hearth_reminder_lag_seconds_bucket", le="30.0")

    clock.set(datetime(2026, 3, 2, 18, 0, tzinfo=UTC) + timedelta(seconds=42))
    app.extensions["hearth_queue"].enqueue("workers.scheduler.reminder_tick")
    run_jobs()

    assert value("hearth_reminder_lag_seconds_count") == count + 1
    assert value("hearth_reminder_lag_seconds_bucket", le="60.0") == within_minute + 1
    assert value("hearth_reminder_lag_seconds_bucket", le="30.0") == late  # 42 s is not <= 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_processes_sharing_a_multiprocess_dir_add_up(tmp_path):
    """Two processes (gunicorn workers, or a worker beside the web) count; one scrape sums."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from api.observability.metrics import PUSH_DELIVERIES as P; "
        "P.labels('pairing', 'sent').inc(3)"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, cwd=ROOT, check=True)
    scrape_code = (
        "from api.observability.metrics import exposition; print(exposition()[0].decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", scrape_code], env=env, cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    assert 'hearth_push_deliveries_total{category="pairing",outcome="sent"} 6.0' in out


def test_worker_and_clock_serve_their_own_metrics_on_metrics_port(tmp_path):
    port = _free_port()
    env = {key: val for key, val in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"} | {
        "METRICS_PORT": str(port),
        "APP_ENV": "test",
    }
    code = (
        "import time, urllib.request; from workers.process import setup_process; "
        "setup_process('worker'); "
        f"print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics').read().decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60
    ).stdout.decode()
    assert "# TYPE hearth_push_deliveries_total counter" in out
    assert "# TYPE hearth_clock_enqueued_total counter" in out


def test_the_clock_counts_what_it_enqueues(app):
    from workers.process import CountingCronScheduler

    connection = app.extensions["hearth_queue"].connection
    before = value("hearth_clock_enqueued_total", job="reminder_tick")
    scheduler = CountingCronScheduler(connection=connection, logging_level="WARNING")
    scheduler.load_config_from_file("workers.cron")

    enqueued = scheduler.enqueue_jobs()

    assert "reminder_tick" in {job.func.__name__ for job in enqueued}
    assert value("hearth_clock_enqueued_total", job="reminder_tick") == before + 1
    assert "workers.scheduler.reminder_tick" in {
        job.func_name for job in app.extensions["hearth_queue"].queue.jobs
    }


def test_a_request_method_made_up_by_the_client_is_not_a_label_of_its_own(client):
    """The method label takes the methods HTTP defines; any other word a client sends is one
    `other` series. Before: each made-up method (no token needed, any path) added a series per
    latency bucket in every process, an unbounded growth of /metrics that anyone could drive,
    carrying whatever the client wrote."""
    made_up = [f"ZQX{i}WORD" for i in range(3)]
    for method in made_up:
        assert client.open("/healthz", method=method).status_code == 405
    seen = [name for name, labels in scrape(client) for _, label in labels if "ZQX" in label]
    assert seen == [], "a client's made-up method became a metrics label"
    counted = value(
        "hearth_http_request_duration_seconds_count",
        endpoint="<unmatched>",
        method="other",
        status="405",
    )
    assert counted >= len(made_up)
