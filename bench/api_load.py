"""Load benchmark: Hearth under gunicorn beside two baselines, driven by wrk, interleaved.

It makes its own PostgreSQL database, migrates it, and seeds it: LOAD_COUPLES couples made
through the API (each partner signed in with a dev token, paired; one in four reads, with two
rituals and yesterday's check-ins, the rest write, with forty rituals to check in to), plus
filler couples cloned from them by bulk SQL up to each size given (default 1k and 10k
couples), so that the figures show whether a request's cost grows with the data. Then it
serves, with one and the same gunicorn config:

- Hearth (`api:create_app()`, APP_ENV=development with dev tokens, Redis for the queue),
- the bare Flask baseline (bench/baselines.py `bare_app`: a small JSON object),
- the Flask + SQLAlchemy baseline (`orm_app`: one primary-key SELECT, or one INSERT).

For each endpoint it runs wrk against Hearth and against its baselines in turn, ROUNDS
times, and prints requests/s, p50/p99 latency, CPU per request (user+system time of the
gunicorn processes, from /proc), PostgreSQL's CPU per request (its processes', the same way:
under saturation the database shares the cores) and the ratios to the baselines: each round's
ratio is Hearth's run over the baseline's run beside it, and the table shows their median and
range over the rounds (the same code differs by up to a sixth between runs on a shared machine).
The other figures are medians over the rounds.
A second run per read, its connections paced to half of the peak rate (wrk's `delay()`),
gives the latency away from saturation: p99/p50 there, and the share of the peak reached;
the Flask + SQLAlchemy baseline is paced to half of its own peak the same way, to tell what
is Hearth's from what the machine and gunicorn's sync workers give any app.

    python bench/api_load.py                         # 1k and 10k couples, 5 s per run
    python bench/api_load.py --sizes 1000 --duration 5 --rounds 1

Needs wrk (Debian package `wrk`), PostgreSQL and Redis; `make bench` runs it when they answer.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from bench.common import analyze, is_postgres, parse_sizes, scratch_database  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
LOAD_COUPLES = 125  # divides 1k and 10k: the filler copies make the sizes exactly
# One load couple in four reads: two rituals each, each with yesterday's check-in (the shape
# the reads are compared at). The others write: WRITE_RITUALS rituals each, so that the
# check-in run has enough distinct (partner, ritual, day) slots for every POST to be an insert
# (93 couples x 40 rituals x 2 partners x 2 days = 14,880, shared out among the sizes and,
# within a size, its rounds, and within a round, wrk's threads).
READ_RITUALS = 2
WRITE_RITUALS = 40
# Invites are single-use codes of the load couples' past: nothing reads them under load.
NOT_CLONED = ("alembic_version", "invites")
GUNICORN = ["--workers", "2", "--worker-class", "sync", "--log-level", "warning"]


@dataclass
class Endpoint:
    name: str
    method: str
    hearth_path: str  # {ritual} is filled per request by the Lua script
    baselines: tuple[str, ...]  # which baselines it is compared with


ENDPOINTS = (
    Endpoint("GET /v1/me", "GET", "/v1/me", ("bare", "orm_get")),
    Endpoint("GET /v1/couple", "GET", "/v1/couple", ("bare", "orm_get")),
    Endpoint("GET /v1/notifications", "GET", "/v1/notifications", ("bare", "orm_get")),
    Endpoint("GET /v1/couple/streaks", "GET", "/v1/couple/streaks", ("bare", "orm_get")),
    Endpoint("POST check-in", "POST", "/v1/couple/rituals/{ritual}/check-ins", ("orm_post",)),
)


@dataclass
class Run:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float
    db_cpu_ms_per_request: float  # PostgreSQL's processes, whichever app sent the statements
    errors: int


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    pids: list[int] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- database and seed


def hearth_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment Hearth is served with (dev tokens, so wrk can sign in)."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "AUTH_MODE": "dev",
        "PUSH_BACKEND": "log",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_ENABLED": "true",
    }


def seed_load_couples(database_url: str, redis_url: str) -> dict[str, object]:
    """Make LOAD_COUPLES couples through the API; returns what the Lua scripts need."""
    os.environ.update(hearth_env(database_url, redis_url))
    from flask_migrate import upgrade

    from api import clock, create_app
    from api.config import Config
    from api.extensions import db

    # The seed is not what is measured: the per-network join limit would stop it at 30 couples.
    app = create_app(Config.from_env({**os.environ, "RATELIMIT_ENABLED": "false"}))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    client = app.test_client()
    today = clock.now().date()  # the couples live in UTC with days starting at 00:00
    days = [today.isoformat(), (today - timedelta(days=1)).isoformat()]
    tokens: list[str] = []
    slots: list[tuple[str, int, str]] = []
    for i in range(LOAD_COUPLES):
        reader = i % 4 == 0
        a, b = f"load-a-{i}", f"load-b-{i}"
        if reader:
            tokens += [a, b]
        for uid in (a, b):
            call(client, "PATCH", "/v1/me", uid, {"display_name": uid, "timezone": "UTC"})
        code = call(client, "POST", "/v1/invites", a)["code"]
        call(client, "POST", "/v1/couple", b, {"code": code})
        call(client, "PATCH", "/v1/couple", a, {"timezone": "UTC", "day_starts_at": "00:00"})
        for r in range(READ_RITUALS if reader else WRITE_RITUALS):
            ritual = call(
                client,
                "POST",
                "/v1/couple/rituals",
                # Both partners create: each one's daily quota of new rituals stays unreached.
                (a, b)[r % 2],
                {
                    "title": f"Ritual {r}",
                    "schedule": {
                        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                        "time": "07:30",
                    },
                    "reminder": {"enabled": True, "minutes_before": 0},
                    "completion": "both",
                    "client_id": str(uuid.uuid4()),
                },
            )
            if reader:
                # History for the reads: yesterday's check-in by one partner (a feed item too).
                call(
                    client,
                    "POST",
                    f"/v1/couple/rituals/{ritual['id']}/check-ins",
                    b,
                    {"client_id": str(uuid.uuid4()), "local_date": days[1]},
                )
            else:
                slots += [(uid, ritual["id"], day) for uid in (a, b) for day in days]
    with app.app_context():
        db.engine.dispose()
    return {"tokens": tokens, "slots": slots}


def call(client, method: str, path: str, uid: str, body: dict | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.open(
        path, method=method, json=body, headers={"Authorization": f"Bearer dev:{uid}"}
    )
    if response.status_code >= 300:
        raise RuntimeError(f"seed: {method} {path} -> {response.status_code} {response.data!r}")
    return response.get_json() or {}


# The seeded couples' rows, their ids and each table's id stride (filled by the first grow_to).
_SEED: dict[str, dict] = {}  # type: ignore[type-arg]


def grow_to(database_url: str, couples: int) -> int:
    """Clone the seeded couples' rows by bulk SQL until the database holds `couples` couples.

    Generic over the schema: every table whose rows hang (by foreign key) from the template
    couples is copied with ids shifted by a per-table stride, foreign keys shifted with their
    target, and unique text columns suffixed, so the copies are valid, distinct couples.
    """
    from api import models  # noqa: F401  (the whole schema)
    from api.extensions import db

    engine = create_engine(database_url)
    metadata = db.metadata
    with engine.begin() as conn:
        have = conn.scalar(select(func.count()).select_from(metadata.tables["couples"]))
        copies = max(0, (couples - have) // LOAD_COUPLES)
        if not copies:
            return have
        if not _SEED:
            # The template is the seeded couples only, read once: a later size clones them
            # again, numbering its copies after the earlier ones (ids and suffixes distinct).
            for table in _couple_tables(metadata):
                rows = [dict(r._mapping) for r in conn.execute(select(table))]
                pk = next(iter(table.primary_key.columns)).name
                if rows:
                    _SEED.setdefault("template", {})[table.name] = rows
                    ids = {row[pk] for row in rows}
                    _SEED.setdefault("owned_ids", {})[table.name] = ids
                    _SEED.setdefault("stride", {})[table.name] = max(ids) + 1
        template, owned_ids, stride = _SEED["template"], _SEED["owned_ids"], _SEED["stride"]
        first = have // LOAD_COUPLES  # copies 1 .. first - 1 exist already
        # Ids of this call's copies start past every id in use (the runs add rows too).
        base = {
            name: conn.scalar(
                select(func.coalesce(func.max(next(iter(table.primary_key.columns))), 0))
            )
            for name, table in metadata.tables.items()
            if name in template
        }

        def shift(name: str, k: int) -> int:
            return base[name] + (k - first) * stride[name]

        for k in range(first, first + copies):
            deferred: list[tuple[str, str, int, int]] = []
            for table in metadata.sorted_tables:
                if table.name not in template:
                    continue
                pk = next(iter(table.primary_key.columns)).name
                new_rows = []
                for row in template[table.name]:
                    new = dict(row)
                    new[pk] = row[pk] + shift(table.name, k)
                    for column in table.columns:
                        value = row[column.name]
                        for fk in column.foreign_keys:
                            target = fk.column.table.name
                            if value is not None and value in owned_ids.get(target, ()):
                                if fk.use_alter or fk.constraint.use_alter:
                                    # A cycle (users <-> couples): set after both exist.
                                    deferred.append(
                                        (
                                            table.name,
                                            column.name,
                                            new[pk],
                                            value + shift(target, k),
                                        )
                                    )
                                    new[column.name] = None
                                else:
                                    new[column.name] = value + shift(target, k)
                        if column.unique and isinstance(value, str):
                            new[column.name] = f"{value}~{k}"[: column.type.length or None]
                    for unique in _unique_text_groups(table):
                        col = unique[-1]
                        if isinstance(row.get(col), str) and unique_only_text(table, unique):
                            new[col] = _distinct(row[col], k, table.columns[col].type)
                    new_rows.append(new)
                conn.execute(insert(table), new_rows)
            for table_name, column, row_id, value in deferred:
                table = metadata.tables[table_name]
                pk = next(iter(table.primary_key.columns))
                conn.execute(table.update().where(pk == row_id).values({column: value}))
        for table_name in template:
            table = metadata.tables[table_name]
            pk = next(iter(table.primary_key.columns)).name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', '{pk}'), "
                    f"(SELECT MAX({pk}) FROM {table_name}))"
                )
            )
        total = conn.scalar(select(func.count()).select_from(metadata.tables["couples"]))
    # Fresh planner statistics, as a live database has: bulk-loaded tables have none yet.
    analyze(engine)
    engine.dispose()
    return total


def _couple_tables(metadata) -> list:  # type: ignore[no-untyped-def,type-arg]
    """users, couples, and every table that hangs from them by foreign keys, in FK order."""
    owned = {"users", "couples"}
    grew = True
    while grew:
        grew = False
        for table in metadata.sorted_tables:
            if table.name in owned or table.name in NOT_CLONED:
                continue
            if any(fk.column.table.name in owned for fk in table.foreign_keys):
                owned.add(table.name)
                grew = True
    return [
        t for t in metadata.sorted_tables if t.name in owned and len(t.primary_key.columns) == 1
    ]


def _unique_text_groups(table) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import UniqueConstraint

    groups = []
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) > 1:
            groups.append(tuple(c.name for c in constraint.columns))
    for index in table.indexes:
        if index.unique:
            groups.append(tuple(c.name for c in index.columns))
    return groups


def unique_only_text(table, group: tuple[str, ...]) -> bool:  # type: ignore[no-untyped-def]
    """A unique key with no foreign key in it: shifting ids does not make copies distinct."""
    return not any(table.columns[name].foreign_keys for name in group)


def _distinct(value: str, k: int, column_type) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(uuid.uuid5(uuid.UUID(value), str(k)))
    except ValueError:
        return f"{value}~{k}"[: getattr(column_type, "length", None) or None]


def prepare_orm_baseline(database_url: str) -> None:
    """The baseline's table, with rows for the primary-key reads."""
    sys.path.insert(0, str(ROOT / "bench"))
    from baselines import Item, _Base

    engine = create_engine(database_url)
    _Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Item), [{"id": i, "note": f"item {i}"} for i in range(1, 1001)])
        conn.execute(text("SELECT setval(pg_get_serial_sequence('bench_items', 'id'), 1000)"))
    engine.dispose()


# ---------------------------------------------------------------- servers and wrk


def start(name: str, app: str, env: dict[str, str], pythonpath: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *GUNICORN,
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(pythonpath),
            app,
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    server = Server(name, port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        raise RuntimeError(f"{name} did not start")
    time.sleep(1.0)  # let both workers boot
    server.pids = [process.pid, *children(process.pid)]
    return server


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far."""
    return sum(cpu_by_process(pids).values())


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    """Each live process's user + system CPU seconds so far (a process gone is left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def database_pids() -> list[int]:
    """PostgreSQL's processes on this machine (its backends serve whichever app is driven)."""
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def database_cpu_used(before: dict[int, float]) -> float:
    """PostgreSQL's CPU seconds since ``before`` (cpu_by_process(database_pids()) then); a
    backend started since counts from zero."""
    now = cpu_by_process(database_pids())
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


LUA = """
tokens = {%(tokens)s}
slots = {%(slots)s}
method, path, body_kind = "%(method)s", "%(path)s", "%(body)s"
pace = %(pace)f -- mean ms between one connection's requests; 0: as fast as it answers
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  math.randomseed(tid * 7919)
end
function request()
  n = n + 1
  local headers = {["Content-Type"] = "application/json"}
  if body_kind == "checkin" then
    -- Each thread takes its own block of the round's slots, in order: no two requests share
    -- one unless a thread runs past its block (then they show as 409s, under non-2xx).
    local per = math.floor(#slots / %(threads)d)
    local i = (tid - 1) * per + (n - 1) %% per + 1
    local s = slots[i]
    headers["Authorization"] = "Bearer dev:" .. s[1]
    local cid = string.format("00000000-0000-4000-8000-%%012d", %(salt)d * 100000 + i)
    local p = string.gsub(path, "{ritual}", s[2])
    return wrk.format("POST", p, headers,
      '{"client_id": "' .. cid .. '", "local_date": "' .. s[3] .. '"}')
  end
  headers["Authorization"] = "Bearer dev:" .. tokens[math.random(#tokens)]
  if body_kind == "item" then
    return wrk.format("POST", path, headers, '{"note": "x"}')
  end
  local p = string.gsub(path, "{id}", tostring(math.random(1000)))
  return wrk.format(method, p, headers)
end
if pace > 0 then
  -- Paced (an open-ish load at a set rate): jittered so connections do not move in step.
  function delay()
    return pace * (0.5 + math.random())
  end
end
"""


def lua_script(
    method: str,
    path: str,
    body: str,
    seed: dict[str, object],
    threads: int,
    salt: int,
    pace_ms: float = 0.0,
) -> str:
    tokens = ",".join(f'"{t}"' for t in seed["tokens"])  # type: ignore[attr-defined]
    slots = ",".join(f'{{"{u}",{r},"{d}"}}' for u, r, d in seed["slots"])  # type: ignore[attr-defined]
    script = LUA % {
        "tokens": tokens,
        "slots": slots if body == "checkin" else "",
        "method": method,
        "path": path,
        "body": body,
        "threads": threads,
        "salt": salt,
        "pace": pace_ms,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    return handle.name


def wrk(server: Server, script: str, duration: float, connections: int, threads: int) -> Run:
    before = cpu_seconds(server.pids)
    db_before = cpu_by_process(database_pids())
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "-s",
            script,
            f"http://127.0.0.1:{server.port}",
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"wrk failed: {out.stdout}{out.stderr}")
    out = out.stdout
    if "0.00us" in out:
        print(out, file=sys.stderr)  # a run measured nothing: show why
    used = cpu_seconds(server.pids) - before
    db_used = database_cpu_used(db_before)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Run(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_latency(out, "50%"),
        p99_ms=_latency(out, "99%"),
        cpu_ms_per_request=1000 * used / max(1, total),
        db_cpu_ms_per_request=1000 * db_used / max(1, total),
        errors=int(errors.group(1)) if errors else 0,
    )


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def stop(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGTERM)
    server.process.wait(timeout=30)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--sizes", default="1000,10000", help="couples, comma-separated")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)
    threads = 2

    if not is_postgres(args.database_url):
        sys.exit("api_load.py needs PostgreSQL (--database-url postgresql://...)")
    with scratch_database(args.database_url, "load") as (database_url, _backend):
        seed = seed_load_couples(database_url, args.redis_url)
        prepare_orm_baseline(database_url)
        env = hearth_env(database_url, args.redis_url)
        base_env = {**os.environ, "BENCH_DATABASE_URL": database_url}
        for number, size in enumerate(sizes):
            total = grow_to(database_url, size)
            servers = {
                "hearth": start("hearth", "api:create_app()", env, ROOT),
                "bare": start("bare", "baselines:bare_app()", base_env, ROOT / "bench"),
                "orm": start("orm", "baselines:orm_app()", base_env, ROOT / "bench"),
            }
            try:
                print(
                    f"\n== {total} couples; {args.rounds} rounds of {args.duration:g} s, "
                    f"{args.connections} connections, gunicorn {' '.join(GUNICORN)}"
                )
                # Each size checks in to its own share of the slots: no 409 for a slot taken
                # by an earlier size's run.
                share = {**seed, "slots": seed["slots"][number :: len(sizes)]}  # type: ignore[index]
                report(servers, share, args, threads, salt=size)
            finally:
                for server in servers.values():
                    stop(server)
    if args.redis_url == DEFAULT_REDIS:
        # The runs' queued pushes (no worker runs here) and rate-limit keys: the bench's own
        # Redis database, emptied. A database given with --redis-url is left as it is.
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()


def report(
    servers: dict[str, Server], seed: dict[str, object], args, threads: int, salt: int
) -> None:  # type: ignore[no-untyped-def]
    baselines = {
        "bare": (servers["bare"], lua_script("GET", "/ping", "", seed, threads, 0)),
        "orm_get": (servers["orm"], lua_script("GET", "/items/{id}", "", seed, threads, 0)),
        "orm_post": (servers["orm"], lua_script("POST", "/items", "item", seed, threads, 0)),
    }
    print(
        "| endpoint | Hearth req/s | p50 ms | p99 ms | ratio to bare Flask "
        "| ratio to Flask+SQLAlchemy | CPU/request vs bare "
        "| database CPU/request vs Flask+SQLAlchemy "
        "| p99/p50 at half of peak (rate reached) | same, Flask+SQLAlchemy | non-2xx |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for number, endpoint in enumerate(ENDPOINTS):
        body = "checkin" if endpoint.method == "POST" else ""
        runs: dict[str, list[Run]] = {"hearth": [], **{b: [] for b in endpoint.baselines}}
        for rnd in range(args.rounds):
            # Each round checks in to slots of its own: no check-in repeats an earlier one.
            share = len(seed["slots"]) // args.rounds  # type: ignore[arg-type]
            script = lua_script(
                endpoint.method,
                endpoint.hearth_path,
                body,
                {**seed, "slots": seed["slots"][rnd * share : (rnd + 1) * share]},  # type: ignore[index]
                threads,
                salt=salt * 100 + number * 10 + rnd,
            )
            runs["hearth"].append(
                wrk(servers["hearth"], script, args.duration, args.connections, threads)
            )
            for name in endpoint.baselines:
                server, base_script = baselines[name]
                runs[name].append(
                    wrk(server, base_script, args.duration, args.connections, threads)
                )
        hearth = _median(runs["hearth"])
        db_base = _median(runs[endpoint.baselines[-1]])
        # Latency away from saturation: the same connections paced to half of the peak rate
        # (each waits connections/target seconds, jittered, between its requests), for Hearth
        # and for the one-query baseline at half of its own peak.
        half = base_half = None
        if not body:
            half = paced(
                servers["hearth"],
                endpoint.method,
                endpoint.hearth_path,
                seed,
                args,
                threads,
                hearth.requests_per_s,
            )
            base_half = paced(
                servers["orm"], "GET", "/items/{id}", seed, args, threads, db_base.requests_per_s
            )
        bare = _median(runs["bare"]) if "bare" in runs else None
        cells = [
            endpoint.name,
            f"{hearth.requests_per_s:,.0f}",
            f"{hearth.p50_ms:.1f}",
            f"{hearth.p99_ms:.1f}",
            _paired_ratio(runs["hearth"], runs["bare"]) if bare else "—",
            _paired_ratio(runs["hearth"], runs[endpoint.baselines[-1]]),
            f"x{hearth.cpu_ms_per_request / bare.cpu_ms_per_request:.1f}" if bare else "—",
            _database_cpu(hearth, db_base),
            _tail(half, hearth),
            _tail(base_half, db_base),
            str(hearth.errors),
        ]
        print("| " + " | ".join(cells) + " |", flush=True)


def paced(
    server: Server,
    method: str,
    path: str,
    seed: dict[str, object],
    args,  # type: ignore[no-untyped-def]
    threads: int,
    peak_per_s: float,
) -> Run:
    """A wrk run whose connections are paced to half of ``peak_per_s`` requests per second."""
    script = lua_script(
        method,
        path,
        "",
        seed,
        threads,
        0,
        pace_ms=1000 * args.connections / (peak_per_s / 2),
    )
    return wrk(server, script, args.duration, args.connections, threads)


def _tail(half: Run | None, peak: Run) -> str:
    """p99/p50 of a paced run and the share of the peak rate it reached ("—" without one)."""
    # (wrk shows no percentiles when no request finished within its timeout)
    if half is None or not half.p50_ms:
        return "—"
    return f"{half.p99_ms / half.p50_ms:.1f} ({half.requests_per_s / peak.requests_per_s:.0%})"


def _database_cpu(hearth: Run, baseline: Run) -> str:
    """PostgreSQL's CPU per request for Hearth, in ms and as a multiple of the baseline's."""
    if not baseline.db_cpu_ms_per_request:
        return f"{hearth.db_cpu_ms_per_request:.2f} ms"
    ratio = hearth.db_cpu_ms_per_request / baseline.db_cpu_ms_per_request
    return f"{hearth.db_cpu_ms_per_request:.2f} ms (x{ratio:.1f})"


def _paired_ratio(hearth: list[Run], baseline: list[Run]) -> str:
    """Hearth's req/s over the baseline's, round by round (the runs of a round are seconds
    apart, so the machine's drift falls on both): the median, and the range when rounds > 1."""
    pairs = zip(hearth, baseline, strict=True)
    # (a baseline run that served nothing, wrk failing, gives no ratio)
    ratios = [h.requests_per_s / b.requests_per_s for h, b in pairs if b.requests_per_s]
    if not ratios:
        return "—"
    middle = f"{statistics.median(ratios):.2f}"
    return middle if len(ratios) == 1 else f"{middle} ({min(ratios):.2f}-{max(ratios):.2f})"


def _median(runs: list[Run]) -> Run:
    return Run(
        requests_per_s=statistics.median(r.requests_per_s for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        cpu_ms_per_request=statistics.median(r.cpu_ms_per_request for r in runs),
        db_cpu_ms_per_request=statistics.median(r.db_cpu_ms_per_request for r in runs),
        errors=sum(r.errors for r in runs),
    )


if __name__ == "__main__":
    main()
