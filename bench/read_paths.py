"""Benchmark: every GET of /v1 in the spec, against the one-query baseline, in one process.

bench/api_load.py measures five endpoints under gunicorn and wrk; this script covers every
read the spec lists (a new GET joins by itself), so that the slow one stands out. It seeds a
lived-in couple on a scratch PostgreSQL database (the shipped content, two rituals with
check-ins, today's and yesterday's questions answered by both, affirmations each way,
gratitude, a memory, moods with needs, a phone, an unpaired user's invite) and drives each
read and the Flask + SQLAlchemy one-primary-key-SELECT baseline (bench/baselines.py) through
Flask's test client.

Each read is measured against the baseline beside it in time: short runs of the read and of
the baseline alternate (CHUNK requests each), and the read's ratio in a round is the
baseline's best run over the read's best run, so that the machine's drift over a round (other
processes, frequency) falls on both. It prints, per read, the median over the rounds of that
ratio in CPU and in wall time (the issue's goal: ≥ 0.7), and the read's best CPU and wall
milliseconds per request.

In-process, so without gunicorn's and the network's share: for the five reads both scripts
measure, the ratios agree with api_load.py's within about 0.05.

    python bench/read_paths.py [--database-url postgresql://...] [--rounds 5] [--requests 300]
                               [--only recaps,moods]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Requests per run: short enough that the read and the baseline beside it see the same machine.
CHUNK = 50

from bench.api_load import DEFAULT_DATABASE, call, prepare_orm_baseline  # noqa: E402
from bench.common import print_header, scratch_database  # noqa: E402


def seed(client: Any) -> dict[str, Any]:
    """A couple (alex, sam) with something behind every read; returns the path parameters."""
    from api import clock

    for uid in ("alex", "sam", "robin"):
        call(client, "PATCH", "/v1/me", uid, {"display_name": uid, "timezone": "Europe/Berlin"})
    code = call(client, "POST", "/v1/invites", "alex")["code"]
    call(client, "POST", "/v1/couple", "sam", {"code": code})
    call(client, "PATCH", "/v1/couple", "alex", {"timezone": "Europe/Berlin"})
    call(client, "POST", "/v1/invites", "robin")  # robin's live invite: /v1/invites/current
    today = clock.now().date()
    yesterday = (today - timedelta(days=1)).isoformat()
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    rituals = []
    for title in ("Six-second kiss", "Morning coffee"):
        body = {
            "title": title,
            "schedule": {"days": every_day, "time": "07:30"},
            "reminder": {"enabled": True, "minutes_before": 0},
            "completion": "both",
            "client_id": str(uuid.uuid4()),
        }
        ritual = call(client, "POST", "/v1/couple/rituals", "alex", body)["id"]
        rituals.append(ritual)
        for uid in ("alex", "sam"):
            check_in = {"client_id": str(uuid.uuid4()), "local_date": yesterday}
            call(client, "POST", f"/v1/couple/rituals/{ritual}/check-ins", uid, check_in)
    question = call(client, "GET", "/v1/couple/questions/today", "alex")["id"]
    # Yesterday's question too, answered by both (a day may still be answered the day after):
    # the history read has a past day to show.
    past = past_question(client.application)
    for asked in (question, past):
        for uid in ("alex", "sam"):
            answer = {"text": f"{uid}'s answer", "client_id": str(uuid.uuid4())}
            call(client, "PUT", f"/v1/couple/questions/{asked}/answer", uid, answer)
    affirmation = call(client, "GET", "/v1/affirmations?limit=1", "sam")["items"][0]["id"]
    for uid, body in (("sam", {"affirmation_id": affirmation}), ("alex", {"text": "Thank you."})):
        body = {**body, "client_id": str(uuid.uuid4())}
        call(client, "POST", "/v1/couple/affirmations", uid, body)
    gratitude = {"text": "The coffee.", "client_id": str(uuid.uuid4())}
    call(client, "POST", "/v1/couple/gratitude", "alex", gratitude)
    memory = {"title": "Lisbon", "happened_on": "2025-02-14", "client_id": str(uuid.uuid4())}
    memory_id = call(client, "POST", "/v1/couple/memories", "alex", memory)["id"]
    needs = [n["slug"] for n in call(client, "GET", "/v1/needs", "alex")[:2]]
    for uid, mood in (("alex", 4), ("sam", 2)):
        body = {"mood": mood, "needs": needs, "client_id": str(uuid.uuid4())}
        call(client, "POST", "/v1/couple/moods", uid, body)
    device = {"token": "fcm-" + "x" * 150, "platform": "ios"}
    call(client, "POST", "/v1/devices", "alex", device)
    year, week, _ = today.isocalendar()
    return {
        "ritual_id": rituals[0],
        "memory_id": memory_id,
        "question_id": question,
        "week": f"{year}-W{week:02d}",
    }


def past_question(app: Any) -> int:
    """The id of the couple's question of the day before its own (chosen now, as that day's
    first read would have)."""
    from sqlalchemy import select

    from api import clock
    from api.extensions import db
    from api.pairing.models import Couple
    from api.questions.service import day_question
    from api.streaks.days import couple_current_day

    with app.app_context():
        couple = db.session.scalars(select(Couple)).one()
        # The couple's day, not UTC's: before its day starts (04:00) it is still yesterday.
        day = couple_current_day(db.session, couple, clock.now()) - timedelta(days=1)
        question_id = day_question(db.session, couple=couple, day=day).id
        db.session.commit()
    return question_id


def read_paths(spec: dict[str, Any], params: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, user) for every GET under /v1 in the spec, its parameters filled from the seed."""
    reads = []
    for template, operations in spec["paths"].items():
        if template.startswith("/v1/") and "get" in operations:
            uid = "robin" if template == "/v1/invites/current" else "alex"
            reads.append((template.format(**params), uid))
    return reads


def measure(client: Any, path: str, uid: str, requests: int) -> tuple[float, float]:
    """(wall, CPU) milliseconds per request over `requests` GETs of `path`."""
    headers = {"Authorization": f"Bearer dev:{uid}"}
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        client.get(path, headers=headers)
    return (
        (time.perf_counter() - wall) / requests * 1000,
        (time.process_time() - cpu) / requests * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="per read and round")
    parser.add_argument("--only", default="", help="comma-separated substrings of the paths")
    args = parser.parse_args()

    with scratch_database(args.database_url, "reads") as (url, backend):
        if backend != "postgresql":
            sys.exit("read_paths.py measures on PostgreSQL: pass --database-url postgresql://...")
        os.environ.update(
            APP_ENV="development", AUTH_MODE="dev", PUSH_BACKEND="log", LOG_LEVEL="WARNING"
        )
        os.environ.update(DATABASE_URL=url, BENCH_DATABASE_URL=url)
        os.environ.pop("REDIS_URL", None)  # the in-process queue: the seed's pushes stay local
        from flask_migrate import upgrade

        from api import create_app
        from api.config import Config
        from api.content.loader import load
        from api.content.service import import_content
        from api.extensions import db
        from bench.baselines import orm_app

        app = create_app(Config.from_env(dict(os.environ)))
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            import_content(db.session, load(ROOT / "content"))
            db.session.commit()
        client = app.test_client()
        params = seed(client)
        prepare_orm_baseline(url)
        baseline = orm_app().test_client()
        spec = json.loads((ROOT / "openapi" / "openapi.json").read_text())
        reads = [("baseline: one SELECT", "/items/1", "-", baseline)]
        wanted = [w for w in args.only.split(",") if w]
        reads += [
            (path, path, uid, client)
            for path, uid in read_paths(spec, params)
            if not wanted or any(w in path for w in wanted)
        ]
        for name, path, uid, driver in reads:  # warm up, and check each read reads
            response = driver.get(path, headers={"Authorization": f"Bearer dev:{uid}"})
            if response.status_code != 200:
                sys.exit(f"{name}: {response.status_code} {response.data!r}")
            measure(driver, path, uid, 50)
        base_name, base_path, base_uid, base_driver = reads[0]
        figures: dict[str, list[Pair]] = {}
        for _ in range(args.rounds):
            for name, path, uid, driver in reads[1:]:
                read_runs, base_runs = [], []
                for _ in range(max(1, args.requests // CHUNK)):
                    base_runs.append(measure(base_driver, base_path, base_uid, CHUNK))
                    read_runs.append(measure(driver, path, uid, CHUNK))
                figures.setdefault(name, []).append(Pair(base_runs, read_runs))
        with app.app_context():
            db.engine.dispose()

    print_header(f"Every read beside the baseline, in-process on PostgreSQL, {args.rounds} rounds")
    print(f"{'read':44s} {'wall ms':>8s} {'CPU ms':>8s} {'ratio':>6s} {'ratio CPU':>9s}")
    pairs = [pair for rounds in figures.values() for pair in rounds]
    base_wall = min(min(w for w, _ in pair.base) for pair in pairs)
    base_cpu = min(min(c for _, c in pair.base) for pair in pairs)
    print(f"{base_name:44s} {base_wall:8.3f} {base_cpu:8.3f} {1:6.2f} {1:9.2f}")
    for name, rounds in figures.items():
        wall = min(min(w for w, _ in pair.read) for pair in rounds)
        cpu = min(min(c for _, c in pair.read) for pair in rounds)
        ratio_wall = statistics.median(pair.ratio(0) for pair in rounds)
        ratio_cpu = statistics.median(pair.ratio(1) for pair in rounds)
        print(f"{name:44s} {wall:8.3f} {cpu:8.3f} {ratio_wall:6.2f} {ratio_cpu:9.2f}")


class Pair(NamedTuple):
    """One round of a read: its runs and the baseline's, alternating, as (wall, CPU) ms each."""

    base: list[tuple[float, float]]
    read: list[tuple[float, float]]

    def ratio(self, index: int) -> float:
        """The baseline's best run over the read's best run: 0 for wall time, 1 for CPU."""
        return min(run[index] for run in self.base) / min(run[index] for run in self.read)


if __name__ == "__main__":
    main()
