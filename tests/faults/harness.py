"""Hearth in its production shape, broken on purpose (issue 16): the fault suite's machinery.

A Stack runs, each in its own process: a throwaway redis-server on a spare port, the fake FCM
server (tests/fakes/google.py), gunicorn with the app, two `rq worker`s and the clock, the
last three exactly as the code root's Procfile says. It has its own PostgreSQL database. 30
couples (one phone per partner) are paired and registered through the HTTP API.

Each scenario writes through the API (partner affirmations, or ritual reminders from the
clock), breaks something, repairs it, and measures from the fake's records: the requests
and their 5xx, the (notification, device) pairs owed and delivered, the extra copies, the
copies whose outcome Hearth could not know, and the time from the repair until everything
owed was delivered. Used by tests/faults/ (asserting) and bench/faults.py (the table).

`code_root` is the checkout whose processes run; the harness itself always comes from this
checkout, so the same scenarios measure an older commit too (bench/faults.py --code-root).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

HERE = Path(__file__).resolve().parents[2]  # this checkout (the harness and the fake)
COUPLES = 30
FCM_TIMEOUT_SECONDS = 2.0
# Retries after FCM's 503/429 wait 1-2 s instead of 15-30 s, so a scenario ends in seconds.
BACKOFF_BASE_SECONDS = 2.0
WRITERS = 3
WRITE_PAUSE_SECONDS = 0.3
CONTROL_PATH = "/_fake/control"


def free_port() -> int:
    """A TCP port nothing listens on now (the OS's choice, never a fixed one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(step)
    return False


class Process:
    """A child process in its own session, so a SIGKILL reaches it and only it."""

    def __init__(self, name: str, argv: list[str] | str, env: dict[str, str], cwd: Path, log: Path):
        self.name = name
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 (open for the life of the process)
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            shell=isinstance(argv, str),
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL, no cleanup (a crash)."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


class RedisServer:
    """A throwaway redis-server on a spare port: stopped, restarted, frozen and thawed."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: Process | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        log = self.workdir / "redis.log"
        self.process = Process("redis", argv, dict(os.environ), self.workdir, log)
        if not _wait(self._answers, 10):
            raise RuntimeError(f"redis-server did not start on {self.port}")

    def _answers(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())

    def stop(self) -> None:
        """Redis goes away (its data with it, as a crashed Redis without persistence)."""
        assert self.process is not None
        self.process.kill()

    def freeze(self) -> None:
        """Redis hangs: it accepts connections and answers nothing."""
        assert self.process is not None
        self.process.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None:
            self.process.signal(signal.SIGCONT)
            self.process.stop()


class FakeFcm:
    """The fake FCM / OAuth server in its own process, driven over its control endpoint."""

    def __init__(self, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.google"],
            cwd=HERE,
            env={**os.environ, "PYTHONPATH": str(HERE)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(workdir / "fake-fcm.log", "ab"),  # noqa: SIM115
        )
        assert self.proc.stdout is not None
        hello = json.loads(self.proc.stdout.readline())
        self.url: str = hello["url"]
        self.service_account = workdir / "service-account.json"
        self.service_account.write_text(json.dumps(hello["service_account"]))
        self.project_id: str = hello["service_account"]["project_id"]

    def control(self, **command: Any) -> None:
        requests.post(self.url + CONTROL_PATH, json=command, timeout=5).raise_for_status()

    def state(self) -> dict[str, Any]:
        return requests.get(self.url + CONTROL_PATH, timeout=10).json()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _procfile(code_root: Path) -> dict[str, str]:
    lines = (code_root / "Procfile").read_text().strip().splitlines()
    return dict(line.split(": ", 1) for line in lines)


@dataclass
class Couple:
    a: str
    b: str


@dataclass
class Writes:
    """What the writers did."""

    requests: int = 0
    errors_5xx: int = 0
    failed: int = 0  # no answer at all (client timeout, refused)
    slowest: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, seconds: float) -> None:
        with self.lock:
            self.requests += 1
            self.slowest = max(self.slowest, seconds)
            if status is None:
                self.failed += 1
            elif status >= 500:
                self.errors_5xx += 1


@dataclass
class Result:
    """One scenario's row of the table."""

    scenario: str
    requests: int
    errors_5xx: int
    no_answer: int
    slowest_request: float
    owed: int
    delivered: int
    extra_copies: int
    unknown: int  # copies Hearth recorded as unknown outcome (sending/unknown deliveries)
    recovered_after: float | None  # seconds from the repair; None: not within the bound
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.owed - self.delivered


class Stack:
    """Hearth's processes on throwaway Redis and database, and the fake FCM."""

    def __init__(self, code_root: Path, workdir: Path, database_url: str) -> None:
        self.code_root = code_root.resolve()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        base = make_url(database_url)
        self.database = f"faults_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._admin_url = base.set(database="postgres")
        self.database_url = base.set(database=self.database).render_as_string(hide_password=False)
        self.redis = RedisServer(workdir)
        self.fake: FakeFcm | None = None
        self.web: Process | None = None
        self.web_port = free_port()
        self.workers: list[Process] = []
        self.clocks: list[Process] = []
        self.couples: list[Couple] = []
        self.engine: Engine | None = None
        self._counter = 0

    # ---- life ------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        assert self.fake is not None
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "REDIS_", "FCM_", "FIREBASE_", "PYTEST"))
        }
        env.update(
            APP_ENV="development",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            AUTH_MODE="dev",
            PUSH_BACKEND="firebase",
            GOOGLE_APPLICATION_CREDENTIALS=str(self.fake.service_account),
            FIREBASE_PROJECT_ID=self.fake.project_id,
            FCM_ENDPOINT=self.fake.url,
            FCM_TIMEOUT_SECONDS=str(FCM_TIMEOUT_SECONDS),
            PYTHONPATH=str(self.code_root),
            # The Procfile's commands (python, rq) from this interpreter's environment.
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="INFO",
        )
        return env

    def start(self) -> Stack:
        admin = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        admin.dispose()
        self.engine = create_engine(self.database_url)
        self.redis.start()
        self.fake = FakeFcm(self.workdir)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "api", "db", "upgrade"],
            env=self.env(),
            cwd=self.code_root,
            check=True,
            capture_output=True,
        )
        self.web = Process(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                "api:create_app()",
            ],
            self.env(),
            self.code_root,
            self.workdir / "web.log",
        )
        if not _wait(lambda: requests.get(self.base + "/healthz", timeout=1).ok, 30):
            raise RuntimeError("gunicorn did not start; see web.log")
        for _ in range(2):
            self.start_worker()
        self.start_clock()
        self._pair_couples()
        return self

    def close(self) -> None:
        for process in [*self.clocks, *self.workers, self.web]:
            if process is not None:
                process.stop()
        if self.fake is not None:
            self.fake.close()
        self.redis.close()
        if self.engine is not None:
            self.engine.dispose()
        admin = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start_worker(self) -> Process:
        """An `rq worker` as the Procfile runs it, with short FCM retry backoffs."""
        words = shlex.split(_procfile(self.code_root)["worker"].replace('"$REDIS_URL"', "URL"))
        worker_class = words[words.index("--worker-class") + 1]
        code = (
            "import sys, datetime, workers.delivery as d; "
            f"d.BACKOFF_BASE = datetime.timedelta(seconds={BACKOFF_BASE_SECONDS}); "
            "from rq.cli import main; main(sys.argv[1:], prog_name='rq')"
        )
        argv = [sys.executable, "-c", code, "worker", "--url", self.redis.url]
        argv += ["--worker-class", worker_class, "hearth"]
        self._counter += 1
        worker = Process(
            "worker", argv, self.env(), self.code_root, self.workdir / f"worker{self._counter}.log"
        )
        self.workers.append(worker)
        return worker

    def start_clock(self) -> Process:
        """The clock, exactly as the Procfile's `clock` line."""
        command = _procfile(self.code_root)["clock"]
        self._counter += 1
        clock = Process(
            "clock", command, self.env(), self.code_root, self.workdir / f"clock{self._counter}.log"
        )
        self.clocks.append(clock)
        return clock

    # ---- the API ---------------------------------------------------------------------------

    def call(self, method: str, path: str, uid: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer dev:{uid}"}
        return requests.request(method, self.base + path, headers=headers, timeout=15, **kwargs)

    def _pair_couples(self) -> None:
        run = uuid.uuid4().hex[:6]
        for i in range(COUPLES):
            couple = Couple(f"fa{run}{i}", f"fb{run}{i}")
            for uid in (couple.a, couple.b):
                self.call("GET", "/v1/me", uid).raise_for_status()
                self.call(
                    "POST",
                    "/v1/devices",
                    uid,
                    json={"token": f"tok-{uid}".ljust(40, "0"), "platform": "ios"},
                ).raise_for_status()
            invite = self.call("POST", "/v1/invites", couple.a)
            invite.raise_for_status()
            joined = self.call("POST", "/v1/couple", couple.b, json={"code": invite.json()["code"]})
            joined.raise_for_status()
            self.couples.append(couple)
        # Pairing pushed "you are paired": wait for it, so scenarios start from a quiet queue.
        self.wait_delivered(self.last_notification_id(), since=0, timeout=60)

    def write_affirmation(self, writes: Writes) -> None:
        couple = random.choice(self.couples)
        sender = random.choice((couple.a, couple.b))
        start = time.monotonic()
        status: int | None
        try:
            status = self.call(
                "POST",
                "/v1/couple/affirmations",
                sender,
                json={"text": "Thank you for today", "client_id": str(uuid.uuid4())},
            ).status_code
        except requests.RequestException:
            status = None
        writes.record(status, time.monotonic() - start)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Writes]:
        """Writers post partner affirmations until the block ends."""
        writes = Writes()
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                self.write_affirmation(writes)
                stop.wait(WRITE_PAUSE_SECONDS)

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(WRITERS)]
        for thread in threads:
            thread.start()
        try:
            yield writes
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

    # ---- what happened -----------------------------------------------------------------------

    def last_notification_id(self) -> int:
        assert self.engine is not None
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(max(id), 0) FROM notifications")).scalar()

    def count_since(self, since: int, category: str) -> int:
        """How many notifications of a category were written after id `since`."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM notifications WHERE id > :s AND category = :c"),
                {"s": since, "c": category},
            ).scalar()

    def owed(self, since: int) -> set[tuple[int, str]]:
        """(notification id, device token) pairs Hearth owes: each new one, each device."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT n.id, d.token FROM notifications n "
                    "JOIN devices d ON d.user_id = n.recipient_id WHERE n.id > :since"
                ),
                {"since": since},
            ).all()
        return {(int(i), str(t)) for i, t in rows}

    def unknown(self, since: int) -> set[tuple[int, str]]:
        """Pairs Hearth attempted and never learned the answer of (never sent again).

        `unknown` rows, and `sending` rows older than a send can take: their run died. (A
        younger `sending` row is a send in progress.) Code without these states has none.
        """
        assert self.engine is not None
        abandoned_before = datetime.now(UTC) - timedelta(seconds=2 * FCM_TIMEOUT_SECONDS + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT l.notification_id, d.token FROM deliveries l "
                    "JOIN devices d ON d.id = l.device_id WHERE l.notification_id > :since "
                    "AND (l.status = 'unknown' OR (l.status = 'sending' AND l.created_at < :t))"
                ),
                {"since": since, "t": abandoned_before},
            ).all()
        return {(int(i), str(t)) for i, t in rows}

    def taken(self, since: int) -> Counter[tuple[int, str]]:
        """How many copies FCM took of each (notification, token) pair."""
        assert self.fake is not None
        copies: Counter[tuple[int, str]] = Counter()
        for r in self.fake.state()["requests"]:
            if r["status"] == 200 and r["notification_id"] and int(r["notification_id"]) > since:
                copies[(int(r["notification_id"]), r["token"])] += 1
        return copies

    def wait_delivered(self, upto: int, since: int, timeout: float) -> float | None:
        """Seconds until every owed pair up to `upto` was taken or has an unknown outcome."""
        start = time.monotonic()

        def done() -> bool:
            owed = {p for p in self.owed(since) if p[0] <= upto}
            settled = set(self.taken(since)) | self.unknown(since)
            return owed <= settled

        if _wait(done, timeout, step=0.25):
            return time.monotonic() - start
        return None

    def measure(
        self, scenario: str, since: int, writes: Writes, repaired_at: float, bound: float
    ) -> Result:
        """Wait (up to `bound` s after the repair) for delivery, then count everything."""
        upto = self.last_notification_id()
        wait_start = time.monotonic()
        waited = self.wait_delivered(upto, since, max(1.0, bound - (wait_start - repaired_at)))
        recovered = None if waited is None else max(0.0, wait_start + waited - repaired_at)
        # Then until nothing owed is pending any more (a retry, a sweep re-sending a batch
        # whose answers were lost, a lease running out): a late duplicate shows up by then.
        left = max(1.0, bound - (time.monotonic() - repaired_at))
        settled = _wait(lambda: self.pending(since, upto) == 0, left, step=0.5)
        time.sleep(1.0)
        owed = {p for p in self.owed(since) if p[0] <= upto}
        copies = self.taken(since)
        unknown = {p for p in self.unknown(since) if p[0] <= upto}
        return Result(
            scenario=scenario,
            requests=writes.requests,
            errors_5xx=writes.errors_5xx,
            no_answer=writes.failed,
            slowest_request=writes.slowest,
            owed=len(owed),
            delivered=len(owed & set(copies)),
            extra_copies=sum(n - 1 for n in copies.values() if n > 1),
            unknown=len(unknown),
            recovered_after=recovered,
            notes=[] if settled else [f"{self.pending(since, upto)} still pending at the bound"],
        )

    def pending(self, since: int, upto: int) -> int:
        """How many of the scenario's notifications are still pending."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM notifications WHERE id > :s AND id <= :u "
                    "AND status = 'pending'"
                ),
                {"s": since, "u": upto},
            ).scalar()

    def ensure_running(self) -> list[str]:
        """Restart what a scenario left dead (as a platform's restart policy would); notes."""
        notes = []
        for clock in list(self.clocks):
            if not clock.alive():
                notes.append(f"clock exited with status {clock.proc.returncode}")
                self.clocks.remove(clock)
        if not self.clocks:
            self.start_clock()
        for worker in list(self.workers):
            if not worker.alive():
                notes.append(f"worker exited with status {worker.proc.returncode}")
                self.workers.remove(worker)
        while len(self.workers) < 2:
            self.start_worker()
        return notes


# ---- the scenarios -------------------------------------------------------------------------


def redis_stopped(stack: Stack, bound: float = 60.0) -> Result:
    """Redis killed for 8 s while users write; it comes back empty (no persistence)."""
    since = stack.last_notification_id()
    with stack.writing() as writes:
        time.sleep(2)
        stack.redis.stop()
        time.sleep(8)
        stack.redis.start()
        repaired = time.monotonic()
        time.sleep(2)
    result = stack.measure("Redis stopped 8 s", since, writes, repaired, bound)
    result.notes += stack.ensure_running()
    return result


def redis_hung(stack: Stack, bound: float = 60.0) -> Result:
    """Redis frozen (SIGSTOP) for 8 s while users write; /readyz asked meanwhile."""
    since = stack.last_notification_id()
    with stack.writing() as writes:
        time.sleep(2)
        stack.redis.freeze()
        time.sleep(2)
        start = time.monotonic()
        try:
            ready = requests.get(stack.base + "/readyz", timeout=20).status_code
        except requests.RequestException:
            ready = None
        readyz = time.monotonic() - start
        time.sleep(max(0.0, 6 - readyz))
        stack.redis.thaw()
        repaired = time.monotonic()
        time.sleep(2)
    result = stack.measure("Redis hung 8 s", since, writes, repaired, bound)
    result.notes.append(f"/readyz answered {ready} in {readyz:.1f} s")
    result.notes += stack.ensure_running()
    return result


def worker_killed(stack: Stack, bound: float = 60.0) -> Result:
    """Every worker SIGKILLed while FCM holds a batch (FCM answers after 1.5 s); restarted."""
    assert stack.fake is not None
    since = stack.last_notification_id()
    stack.fake.control(latency_seconds=1.5)
    with stack.writing() as writes:
        if not _wait(lambda: stack.fake.state()["in_flight"] >= 2, 20, step=0.05):
            raise RuntimeError("no send in flight to kill the workers in")
        for worker in list(stack.workers):
            worker.kill()
        stack.workers.clear()
        stack.fake.control(latency_seconds=0)
        time.sleep(1)
        stack.start_worker()
        stack.start_worker()
        repaired = time.monotonic()
        time.sleep(2)
    return stack.measure("workers SIGKILLed mid-batch", since, writes, repaired, bound)


def clock_killed_and_doubled(stack: Stack, bound: float = 60.0) -> Result:
    """The clock SIGKILLed, then two clocks at once, while ritual reminders fall due."""
    assert stack.engine is not None
    since = stack.last_notification_id()
    now = datetime.now(UTC)
    couples = stack.couples[:20]
    ritual_ids = []
    for couple in couples:
        created = stack.call(
            "POST",
            "/v1/couple/rituals",
            couple.a,
            json={
                "title": "Six-second kiss",
                "schedule": {
                    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "time": "03:00",
                    "timezone": "UTC",
                },
                "reminder": {"enabled": True, "minutes_before": 0},
                "completion": "either",
                "client_id": str(uuid.uuid4()),
            },
        )
        created.raise_for_status()
        ritual_ids.append(created.json()["id"])
    # Due over the next seconds, while the clocks are killed and doubled.
    with stack.engine.begin() as conn:
        for i, ritual_id in enumerate(ritual_ids):
            conn.execute(
                text("UPDATE rituals SET next_fire_at = :f WHERE id = :id"),
                {"f": now + timedelta(seconds=4 + i % 10), "id": ritual_id},
            )
    writes = Writes()
    for clock in list(stack.clocks):
        clock.kill()
    stack.clocks.clear()
    time.sleep(2)
    stack.start_clock()
    stack.start_clock()
    repaired = time.monotonic()
    # Every reminder falls due over the next seconds; the clocks' ticks write them.
    expected = 2 * len(ritual_ids)
    _wait(lambda: stack.count_since(since, "ritual_reminder") >= expected, bound, step=0.5)
    result = stack.measure("clock SIGKILLed, then two clocks", since, writes, repaired, bound)
    written = stack.count_since(since, "ritual_reminder")
    result.notes.append(f"{len(ritual_ids)} rituals due: {written} of {expected} reminders written")
    for clock in stack.clocks[1:]:
        clock.stop()
    del stack.clocks[1:]
    return result


def fcm_refusing(stack: Stack, bound: float = 60.0) -> Result:
    """FCM answers 503 (Retry-After 1) then 429 (Retry-After 2) to 40 sends each."""
    assert stack.fake is not None
    since = stack.last_notification_id()
    stack.fake.control(answer_next_calls={"code": "UNAVAILABLE", "times": 40, "retry_after": 1})
    stack.fake.control(answer_next_calls={"code": "QUOTA_EXCEEDED", "times": 40, "retry_after": 2})
    with stack.writing() as writes:
        time.sleep(8)
    repaired = time.monotonic()
    return stack.measure("FCM 503 / 429", since, writes, repaired, bound)


def fcm_slow(stack: Stack, bound: float = 60.0) -> Result:
    """FCM answers after 3 s (the timeout is 2 s) for 6 s: it takes every message it gets."""
    assert stack.fake is not None
    since = stack.last_notification_id()
    with stack.writing() as writes:
        time.sleep(1)
        stack.fake.control(latency_seconds=3.0)
        time.sleep(6)
        stack.fake.control(latency_seconds=0)
        repaired = time.monotonic()
        time.sleep(1)
    time.sleep(3.5)  # the fake records a slow message once it has answered it
    return stack.measure("FCM answering after the timeout", since, writes, repaired, bound)


SCENARIOS: list[Callable[..., Result]] = [
    redis_stopped,
    redis_hung,
    worker_killed,
    clock_killed_and_doubled,
    fcm_refusing,
    fcm_slow,
]


def table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    head = (
        "| scenario | requests (5xx / no answer) | slowest request | owed → delivered "
        "| extra copies | unknown outcome | time to recover |\n"
        "| --- | --- | --- | --- | --- | --- | --- |"
    )
    rows = []
    for r in results:
        recover = (
            "not within the bound" if r.recovered_after is None else f"{r.recovered_after:.1f} s"
        )
        requests_cell = f"{r.requests} ({r.errors_5xx} / {r.no_answer})" if r.requests else "—"
        slowest = f"{r.slowest_request:.1f} s" if r.requests else "—"
        notes = f" ({'; '.join(r.notes)})" if r.notes else ""
        rows.append(
            f"| {r.scenario}{notes} | {requests_cell} | {slowest} | {r.owed} → {r.delivered} "
            f"| {r.extra_copies} | {r.unknown} | {recover} |"
        )
    return "\n".join([head, *rows])
