"""The web's PostgreSQL connections plan each prepared statement once (api/pool.py); a worker's
and the clock's keep PostgreSQL's own choice, since their statements select by time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text

from api.extensions import db

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def test_a_web_connection_plans_generically(make_app) -> None:  # type: ignore[no-untyped-def]
    app: Flask = make_app()  # its own engine: every connection is new
    with app.app_context(), db.engine.connect() as conn:
        # The SET left no transaction open behind it (a read-only request turns autocommit on).
        status = conn.connection.dbapi_connection.info.transaction_status
        assert status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_generic_plan"
        conn.rollback()


def test_a_prepared_web_statement_is_planned_once(make_app) -> None:  # type: ignore[no-untyped-def]
    """Ten executions of one prepared statement: the generic plan every time, no custom one."""
    app: Flask = make_app()
    statement = "SELECT id FROM users WHERE uid = %s"
    with app.app_context(), db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for n in range(10):
            with raw.cursor() as cursor:
                cursor.execute(statement, (f"nobody-{n}",), prepare=True)
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement = %s",
                (statement.replace("%s", "$1"),),
            )
            assert cursor.fetchone() == (10, 0)
        conn.rollback()


_WORKER = """
from api.config import Config
from workers.process import setup_process
config = setup_process("worker")
from api import create_app
from api.extensions import db
from sqlalchemy import text
app = create_app(config)
with app.app_context(), db.engine.connect() as conn:
    print(conn.execute(text("SHOW plan_cache_mode")).scalar_one())
"""


def test_a_worker_connection_keeps_postgresqls_choice(app: Flask) -> None:
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_MULTIPROC_DIR")}
    env.update(APP_ENV="test", DATABASE_URL=url)
    done = subprocess.run(
        [sys.executable, "-c", _WORKER], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "auto"
