"""Helpers shared by the bench/ scripts: scratch databases, bulk-insert chunks, planner
statistics, the test app the tick benchmarks run, and their table and ratio lines.

Not a benchmark itself (`make bench` skips it). The scripts put the repository root on
sys.path and then `from bench.common import ...`.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import create_app
from api.config import Config

T = TypeVar("T")


def is_postgres(database_url: str) -> bool:
    """Whether the URL names a PostgreSQL server (postgres://, postgresql://, postgresql+...)."""
    return database_url.startswith("postgres")


@contextmanager
def scratch_database(database_url: str | None, prefix: str) -> Iterator[tuple[str, str]]:
    """Yield (url, backend) of a new, empty database, removed at the end (even on error).

    With a PostgreSQL URL: a database named hearth_bench_<prefix>_<random> on that server
    (never the database the URL names), dropped WITH (FORCE) at the end; backend
    "postgresql". Otherwise: <prefix>.sqlite3 in a temporary folder; backend "sqlite".
    """
    if database_url and is_postgres(database_url):
        base = make_url(Config.from_env({"DATABASE_URL": database_url}).DATABASE_URL)
        name = f"hearth_bench_{prefix}_{random.randrange(10**6):06d}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                yield base.set(database=name).render_as_string(hide_password=False), "postgresql"
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory(prefix="hearth-bench-", ignore_cleanup_errors=True) as d:
            yield f"sqlite:///{d}/{prefix}.sqlite3", "sqlite"


def chunks(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` rows (for bulk inserts)."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def analyze(bind: Session | Engine, tables: Sequence[str] = ()) -> None:
    """Refresh the planner's statistics after seeding.

    PostgreSQL: VACUUM ANALYZE `tables` (every table when empty), outside any transaction.
    SQLite: ANALYZE (every table), committed on the session when given one.
    """
    engine = bind if isinstance(bind, Engine) else bind.get_bind()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text(f"VACUUM ANALYZE {', '.join(tables)}".rstrip())
            )
    elif isinstance(bind, Engine):
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        bind.execute(text("ANALYZE"))
        bind.commit()


def test_app(database_url: str) -> Flask:
    """The app the tick benchmarks run: APP_ENV=test, in-process queue, dev auth, log pushes."""
    config = Config.from_env(
        {},
        APP_ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=None,
        AUTH_MODE="dev",
        PUSH_BACKEND="log",
    )
    return create_app(config)


def parse_sizes(sizes: str) -> list[int]:
    """Comma-separated sizes as ints ("10000,1_000_000" -> [10000, 1000000]), empties skipped."""
    return [int(s.replace("_", "")) for s in sizes.split(",") if s.strip()]


def ms_per_due(seconds: float, due: int) -> float:
    """Milliseconds per due item of a tick that took `seconds` (NaN when none was due)."""
    return seconds * 1000 / due if due else float("nan")


def print_header(header: str) -> None:
    """A table's header line and a rule of dashes as wide."""
    print(header)
    print("-" * len(header))


def print_tick_ratios(
    results: Sequence[tuple[int, int, float, float]], size: str, per: str
) -> None:
    """The largest/smallest comparison line of a tick benchmark.

    results: (size, due, median tick seconds, ms per due) per size, smallest first; nothing is
    printed with fewer than two. `size` names what was counted ("rituals", "couples"), `per`
    the due item ("reminder", "couple").
    """
    if len(results) < 2:
        return
    (n0, due0, t0, p0), (n1, due1, t1, p1) = results[0], results[-1]
    print(
        f"largest/smallest: {size} x{n1 / n0:,.0f}, due x{due1 / max(due0, 1):,.1f}, "
        f"tick time x{t1 / t0:,.1f}, cost per due {per} x{p1 / p0:,.2f}"
    )
