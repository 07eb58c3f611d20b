"""Web and job workers freeze what loading the app allocated, so full collections skip it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a gunicorn worker does: read the config file, load the app, run post_worker_init.
_WORKER = """
import gc, json, runpy
hooks = runpy.run_path("gunicorn.conf.py")
from api import create_app
create_app()
loaded = len(gc.get_objects())
hooks["post_worker_init"](None)
print(json.dumps({"loaded": loaded, "frozen": gc.get_freeze_count(),
                  "tracked": len(gc.get_objects())}))
"""


def _counts(script: str, tmp_path: Path) -> dict:
    """Run script in a new process of the embedded default; the JSON of its last line."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"))
    }
    env.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_post_worker_init_freezes_the_loaded_app(tmp_path):
    counts = _counts(_WORKER, tmp_path)
    # Every object the app left alive is frozen; the collector sees (next to) none of them.
    assert counts["frozen"] >= counts["loaded"] * 0.9
    assert counts["tracked"] < counts["loaded"] * 0.01


# What the Procfile's worker does with its first jobs: the first (a push job) builds the app.
_JOBS = """
import gc, json
import fakeredis
from rq import Queue
from workers.worker import HearthWorker

connection = fakeredis.FakeRedis()
queue = Queue("hearth", connection=connection)
jobs = [queue.enqueue("workers.delivery.deliver", []), queue.enqueue(gc.get_freeze_count)]
started = gc.get_freeze_count()
HearthWorker([queue], connection=connection).work(burst=True)
print(json.dumps({"status": [job.get_status() for job in jobs], "started": started,
                  "at_second_job": jobs[1].return_value(), "frozen": gc.get_freeze_count(),
                  "tracked": len(gc.get_objects())}))
"""


def test_the_job_worker_freezes_once_after_its_first_job(tmp_path):
    """The RQ worker loads the app (and the FCM client) in its first job, then freezes it."""
    counts = _counts(_JOBS, tmp_path)
    assert counts["status"] == ["finished", "finished"]
    assert counts["started"] == 0
    # Frozen after the first job (the app it built among what was frozen), and only then:
    # the second froze nothing more (a frozen object freed since leaves the count).
    assert counts["at_second_job"] > 100_000
    assert counts["frozen"] <= counts["at_second_job"]
    assert counts["tracked"] < counts["frozen"] * 0.05
