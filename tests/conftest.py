"""Test fixtures: the same suite runs on the embedded default and on PostgreSQL + Redis.

Without DATABASE_URL/REDIS_URL the tests use a SQLite file and the in-process fakeredis queue.
With them (CI's second pass) each xdist worker gets its own PostgreSQL database and Redis db.
The schema is built by the Alembic migrations, so every run also tests them. Each test ends by
emptying every table: tests commit for real, like the app does, so concurrency tests and
worker jobs see what requests wrote.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from rq import SimpleWorker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api import clock as api_clock
from api import create_app
from api.config import Config
from api.extensions import db, limiter

# CI runs property tests derandomized, so a red run can be reproduced example for example.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(
    "ci"
    if os.environ.get("HYPOTHESIS_PROFILE") == "ci" or os.environ.get("CI") == "true"
    else "dev"
)

# The fake Google server (FCM, OAuth, ID-token certificates) and the fixtures around it.
pytest_plugins = ("tests.fakes.fixtures",)

BASE_DATABASE_URL = os.environ.get("DATABASE_URL") or None
BASE_REDIS_URL = os.environ.get("REDIS_URL") or None


def _worker_index(worker_id: str) -> int:
    return int(worker_id[2:]) if worker_id.startswith("gw") else 0


def _postgres_url(worker_id: str) -> str:
    """A fresh database per xdist worker and process, made from the base DATABASE_URL's server.

    The pid keeps two test runs on one server (two developers, two worktrees) from dropping
    each other's databases.
    """
    base = make_url(Config.from_env({"DATABASE_URL": BASE_DATABASE_URL}).DATABASE_URL)
    name = f"hearth_test_{worker_id}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _redis_url(worker_id: str) -> str:
    url = make_url(BASE_REDIS_URL.replace("redis://", "postgresql://", 1))  # reuse URL parsing
    # Databases after the one REDIS_URL names (/0 -> 1, 2, ...; /6 -> 7, 8, ...).
    base_index = int((url.database or "0").lstrip("/") or 0)
    db_index = base_index + 1 + _worker_index(worker_id)
    return f"redis://{url.host or '127.0.0.1'}:{url.port or 6379}/{db_index}"


@pytest.fixture(scope="session")
def worker_id_str(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture(scope="session")
def base_config(tmp_path_factory: pytest.TempPathFactory, worker_id_str: str) -> Iterator[Config]:
    """The test config: this worker's database (migrated) and queue; dropped at the end."""
    if BASE_DATABASE_URL:
        database_url = _postgres_url(worker_id_str)
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hearth.sqlite3'}"
    config = Config.from_env(
        {},
        APP_ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=_redis_url(worker_id_str) if BASE_REDIS_URL else None,
        AUTH_MODE="dev",
        PUSH_BACKEND="log",
        # Photos of the tests never land in the checkout's instance/ folder.
        STORAGE_DIR=str(tmp_path_factory.mktemp("storage")),
    )
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield config
    if BASE_DATABASE_URL:
        _drop_database(database_url)


def _drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(base_config: Config) -> Flask:
    """The app most tests share."""
    return create_app(base_config)


@pytest.fixture
def make_app(base_config: Config) -> Iterator[Callable[..., Flask]]:
    """Build an app with config overrides (same database), for tests of other modes."""
    from dataclasses import replace

    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        new = create_app(replace(base_config, **overrides))
        made.append(new)
        return new

    yield make
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """Each test runs in an app context (for factories and direct queries) and ends clean."""
    ctx = app.app_context()
    ctx.push()
    # Rate limits count in real time and per client address (all tests share 127.0.0.1):
    # each test starts with fresh counters.
    limiter.reset()
    try:
        yield
    finally:
        db.session.remove()
        _empty_database()
        _empty_queue(app)
        ctx.pop()
        api_clock.set_fixed(None)


def _empty_database() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


def _empty_queue(app: Flask) -> None:
    # A test that took Redis down restores it itself.
    with contextlib.suppress(redis.exceptions.RedisError):
        app.extensions["hearth_queue"].connection.flushdb()
    # ... and a faked outage leaves no open breaker behind for the next test's enqueues.
    app.extensions["hearth_queue"].reset_breaker()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def auth(uid: str) -> dict[str, str]:
    """Headers of a dev-mode user (provisioned on first call)."""
    return {"Authorization": f"Bearer dev:{uid}"}


@dataclass
class FixedClock:
    """The `clock` fixture: api.clock.now() answers what the test says."""

    current: datetime | None = None

    def set(self, instant: datetime) -> datetime:
        self.current = instant
        api_clock.set_fixed(instant)
        return instant

    def advance(self, **delta: float) -> datetime:
        assert self.current is not None, "set the clock first"
        return self.set(self.current + timedelta(**delta))


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    fixed = FixedClock()
    yield fixed
    api_clock.set_fixed(None)


def run_queued_jobs(app: Flask) -> int:
    """Run every job queued on app's queue now, in this process; a failed job fails the test.

    Returns how many jobs finished.
    """
    job_queue = app.extensions["hearth_queue"]
    worker = SimpleWorker([job_queue.queue], connection=job_queue.connection)
    failed = job_queue.queue.failed_job_registry
    finished = job_queue.queue.finished_job_registry
    failed_before = set(failed.get_job_ids())
    finished_before = set(finished.get_job_ids())
    worker.work(burst=True, logging_level="WARNING")
    new_failures = set(failed.get_job_ids()) - failed_before
    if new_failures:
        from rq.job import Job

        job = Job.fetch(sorted(new_failures)[0], connection=job_queue.connection)
        raise AssertionError(f"job {job.func_name} failed:\n{job.latest_result().exc_string}")
    return len(set(finished.get_job_ids()) - finished_before)


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    """Run the shared app's queued jobs (see run_queued_jobs)."""
    return lambda: run_queued_jobs(app)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres need a real PostgreSQL: they run in the PostgreSQL pass."""
    if BASE_DATABASE_URL and "postgres" in BASE_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the DATABASE_URL pass of .ci/run")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
