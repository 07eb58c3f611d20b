"""A gunicorn worker freezes what loading the app allocated, so full collections skip it."""

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


def test_post_worker_init_freezes_the_loaded_app(tmp_path):
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
        [sys.executable, "-c", _WORKER], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    # Every object the app left alive is frozen; the collector sees (next to) none of them.
    assert counts["frozen"] >= counts["loaded"] * 0.9
    assert counts["tracked"] < counts["loaded"] * 0.01
