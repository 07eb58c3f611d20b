"""Benchmark: a check-in and a streak read cost the same with 10, 1,000 or 10,000 days of history.

For each history length it seeds RITUALS rituals with that many days of check-ins by both
partners (a few missed days, so freezes are earned and used) plus the StreakRecord a live
system would hold, then times, through the HTTP API with a fixed clock, both partners'
check-ins of each ritual and READS streak reads, interleaving the sizes. It prints the median
of each and the ratio of the longest history's figure to the shortest's (the goal is about 1).

Runs on a throw-away SQLite file by default; set DATABASE_URL to measure on PostgreSQL.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from api import clock, create_app  # noqa: E402
from api.config import Config  # noqa: E402
from api.extensions import db  # noqa: E402
from api.pairing.models import Couple  # noqa: E402
from api.rituals.models import Ritual  # noqa: E402
from api.streaks import engine  # noqa: E402
from api.streaks.models import CheckIn, StreakRecord  # noqa: E402
from api.users.models import User  # noqa: E402

SIZES = (10, 1_000, 10_000)
RITUALS = 15
READS = 500
NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)  # 18:00 in Berlin
TODAY = date(2026, 6, 15)


def seed(history_days: int, couple: Couple, users: list[User]) -> list[int]:
    """Rituals with history_days of past check-ins and a consistent StreakRecord."""
    ids = []
    for _ in range(RITUALS):
        ritual = Ritual(
            couple_id=couple.id,
            title="Six-second kiss",
            days=list(engine.WEEKDAYS),
            time=datetime(2000, 1, 1, 18, 30).time(),
            timezone="Europe/Berlin",
            completion="either",
            client_id=str(uuid.uuid4()),
        )
        db.session.add(ritual)
        db.session.flush()
        days = []
        rows = []
        for back in range(history_days, 0, -1):
            day = TODAY - timedelta(days=back)
            done = back % 11 != 0  # a missed day now and then
            days.append(engine.Day(day, scheduled=True, paused=False, complete=done))
            if done:
                rows += [
                    {
                        "ritual_id": ritual.id,
                        "couple_id": ritual.couple_id,
                        "user_id": user.id,
                        "local_date": day,
                        "client_id": str(uuid.uuid4()),
                        "created_at": NOW,
                    }
                    for user in users
                ]
        if rows:
            db.session.execute(insert(CheckIn), rows)
        finalized = [d for d in days if d.date <= TODAY - timedelta(days=2)]
        state = engine.compute(finalized)
        record = StreakRecord(ritual_id=ritual.id, finalized_through=TODAY - timedelta(days=2))
        record.store(
            engine.StreakState(
                state.current,
                state.longest,
                state.freezes_available,
                state.last_completed_date,
                state.run_started_on,
                TODAY - timedelta(days=2),
            )
        )
        db.session.add(record)
        ids.append(ritual.id)
    db.session.commit()
    return ids


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    """Seed, time, print the table and the ratios."""
    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    config = Config.from_env(
        {}, APP_ENV="test", DATABASE_URL=url, REDIS_URL=None, PUSH_BACKEND="log"
    )
    app = create_app(config)
    clock.set_fixed(NOW)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        alex = User(uid=f"bench-alex-{uuid.uuid4().hex[:8]}", display_name="Alex")
        sam = User(uid=f"bench-sam-{uuid.uuid4().hex[:8]}", display_name="Sam")
        db.session.add_all([alex, sam])
        db.session.flush()
        couple = Couple(user_a_id=alex.id, user_b_id=sam.id, timezone="Europe/Berlin")
        db.session.add(couple)
        db.session.flush()
        alex.couple_id = sam.couple_id = couple.id
        db.session.commit()
        headers = {"Authorization": f"Bearer dev:{alex.uid}"}
        sam_headers = {"Authorization": f"Bearer dev:{sam.uid}"}
        client = app.test_client()

        def check_in(ritual_id: int, who: dict[str, str]) -> float:
            started = time.perf_counter()
            response = client.post(
                f"/v1/couple/rituals/{ritual_id}/check-ins",
                json={"client_id": str(uuid.uuid4())},
                headers=who,
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.get_json()
            return elapsed

        def read(ritual_id: int) -> tuple[float, int]:
            started = time.perf_counter()
            response = client.get(f"/v1/couple/rituals/{ritual_id}/streak", headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200
            return elapsed, response.get_json()["current"]

        # An unmeasured round first: the first requests pay for statement compilation and
        # connection set-up, which would otherwise be charged to whichever size goes first.
        warm = seed(SIZES[0], couple, [alex, sam])
        for ritual_id in warm:
            check_in(ritual_id, headers)
            read(ritual_id)
        rituals = {size: seed(size, couple, [alex, sam]) for size in SIZES}
        checkins: dict[int, list[float]] = {size: [] for size in SIZES}
        reads: dict[int, list[float]] = {size: [] for size in SIZES}
        current: dict[int, int] = {}
        # Interleaved, so that the load of a shared machine falls on every size alike.
        for who in (headers, sam_headers):  # each partner checks in for today
            for index in range(RITUALS):
                for size in SIZES:
                    checkins[size].append(check_in(rituals[size][index], who))
        for i in range(READS):
            for size in SIZES:
                elapsed, current[size] = read(rituals[size][i % RITUALS])
                reads[size].append(elapsed)
        results = [
            (size, median_ms(checkins[size]), median_ms(reads[size]), current[size])
            for size in SIZES
        ]
    clock.set_fixed(None)

    backend = url.split(":", 1)[0]
    print(f"streaks benchmark ({backend}; median of {2 * RITUALS} check-ins and {READS} reads)")
    print(f"{'history (days)':>15} {'check-in ms':>12} {'streak read ms':>15} {'current':>8}")
    for size, checkin, read, current in results:
        print(f"{size:>15,} {checkin:>12.2f} {read:>15.2f} {current:>8}")
    first, last = results[0], results[-1]
    print(
        f"ratio {last[0]:,} / {first[0]:,} days: check-in {last[1] / first[1]:.2f}, "
        f"streak read {last[2] / first[2]:.2f} (goal: about 1)"
    )


if __name__ == "__main__":
    main()
