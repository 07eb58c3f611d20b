"""Benchmark: a reminder tick costs what is due, not how many rituals exist.

For each N (default 10k, 100k, 1M) it seeds N rituals (10 per couple, six zones, daily and
weekday schedules, lead times 0-15 min) with the next_fire_at a live system would hold, by
bulk inserts, so that about one in 1,440 is due at the tick's instant (one minute of a day).
It then times one reminder tick (claim, two notifications per due ritual, advance, commit,
enqueue) REPEAT times, restoring the due rows in between, and prints the median per N, the
cost per due reminder, and the ratio of the largest N's figures to the smallest's. With
cost following the number due, the tick time grows like the number due and the cost per
due reminder stays about flat (ratio about 1), while N grows 100-fold.

    python bench/clock_tick.py                                  # SQLite (a throw-away file)
    python bench/clock_tick.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/clock_tick.py --sizes 10000,100000 --repeat 5

On PostgreSQL it creates (and drops at the end) its own database on that server.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, delete, insert, select, update  # noqa: E402

from api import clock  # noqa: E402
from api.extensions import db  # noqa: E402
from api.notifications.models import Notification  # noqa: E402
from api.pairing.models import Couple  # noqa: E402
from api.rituals import reminders  # noqa: E402
from api.rituals.models import Ritual  # noqa: E402
from api.rituals.schedule import WEEKDAYS, next_occurrence  # noqa: E402
from api.users.models import User  # noqa: E402
from bench.common import (  # noqa: E402
    analyze,
    chunks,
    ms_per_due,
    parse_sizes,
    print_header,
    print_tick_ratios,
    scratch_database,
    test_app,
)

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
RITUALS_PER_COUPLE = 10
CHUNK = 20_000
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Tokyo",
)
LEADS = (0, 5, 10, 15)
SCHEDULES = (list(WEEKDAYS), ["mon", "tue", "wed", "thu", "fri"])
# A Tuesday: the weekday schedules are due too.
MOMENT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@cache
def next_fire(minute: int, zone: str, lead: int, schedule: int) -> datetime:
    """The first reminder after the minute before MOMENT (so one minute in 1,440 is due)."""
    after = MOMENT - timedelta(minutes=1) + timedelta(minutes=lead)
    at = wall(minute // 60, minute % 60)
    return next_occurrence(after, days=SCHEDULES[schedule], at=at, tz=zone) - timedelta(
        minutes=lead
    )


def seed(n: int) -> None:
    """N rituals, their couples and users, by bulk inserts (no ORM objects)."""
    rng = random.Random(n)
    couples = max(1, n // RITUALS_PER_COUPLE)
    users = [
        {
            "id": i,
            "uid": f"bench-{i}",
            "display_name": "",
            "timezone": "UTC",
            "locale": "en",
            "notify_ritual_reminders": True,
            "notify_partner_activity": True,
            "notify_streaks": True,
            "notify_affirmations": True,
            "created_at": MOMENT,
        }
        for i in range(1, 2 * couples + 1)
    ]
    for part in chunks(users, CHUNK):
        db.session.execute(insert(User), part)
    rows = [
        {
            "id": c,
            "user_a_id": 2 * c - 1,
            "user_b_id": 2 * c,
            "paired_at": MOMENT,
            "timezone": "Europe/Berlin",
            "day_starts_at": wall(4),
        }
        for c in range(1, couples + 1)
    ]
    for part in chunks(rows, CHUNK):
        db.session.execute(insert(Couple), part)
    del users, rows
    batch: list[dict] = []
    for i in range(n):
        minute, zone = rng.randrange(1440), ZONES[i % len(ZONES)]
        lead, schedule = LEADS[i % len(LEADS)], int(i % 3 == 0)
        batch.append(
            {
                "id": i + 1,
                "couple_id": 1 + i // RITUALS_PER_COUPLE,
                "title": "Six-second kiss",
                "description": "",
                "days": SCHEDULES[schedule],
                "time": wall(minute // 60, minute % 60),
                "timezone": zone,
                "reminder_enabled": True,
                "reminder_minutes_before": lead,
                "completion": "either",
                "paused": False,
                "client_id": f"00000000-0000-4000-8000-{i:012d}",
                "created_at": MOMENT,
                "next_fire_at": next_fire(minute, zone, lead, schedule),
            }
        )
        if len(batch) == CHUNK:
            db.session.execute(insert(Ritual), batch)
            batch = []
    if batch:
        db.session.execute(insert(Ritual), batch)
    db.session.commit()
    analyze(db.session, ("users", "couples", "rituals"))


def time_ticks(app, repeat: int) -> tuple[int, list[float]]:  # type: ignore[no-untyped-def]
    """Run the tick REPEAT times from the same state; the number due and each run's seconds."""
    # reminded_through too: a tick records the day it reminded, and a day already reminded is
    # (rightly) never reminded again, so each timed tick must start from the same state.
    due = {
        rid: (fire, through)
        for rid, fire, through in db.session.execute(
            select(Ritual.id, Ritual.next_fire_at, Ritual.reminded_through).where(
                Ritual.next_fire_at <= MOMENT
            )
        )
    }
    db.session.commit()
    timings = []
    for _ in range(repeat):
        clock.set_fixed(MOMENT)
        started = time.perf_counter()
        result = reminders.run_due(db.session, moment=MOMENT)
        timings.append(time.perf_counter() - started)
        assert result.reminded == len(due), (result, len(due))
        assert result.notifications == 2 * len(due), result
        # Put the due rows back as they were, and forget the pushes (never delivered here).
        db.session.execute(delete(Notification))
        if due:
            db.session.execute(
                update(Ritual.__table__)
                .where(Ritual.__table__.c.id == bindparam("rid"))
                .values(next_fire_at=bindparam("fire"), reminded_through=bindparam("through")),
                [
                    {"rid": rid, "fire": fire, "through": through}
                    for rid, (fire, through) in due.items()
                ],
            )
        db.session.commit()
        app.extensions["hearth_queue"].connection.flushdb()
    clock.set_fixed(None)
    return len(due), timings


def run_size(url: str, n: int, repeat: int) -> tuple[int, float, float]:
    app = test_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        seed(n)
        seeded = time.perf_counter() - started
        due, timings = time_ticks(app, repeat)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return due, statistics.median(timings), seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated numbers of rituals (default: 10000,100000,1000000)",
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to use (default: SQLite file)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="ticks timed per size (median)")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)

    with scratch_database(args.database_url, "clock") as (url, backend):
        print(f"reminder tick on {backend}: ~1 in 1,440 rituals due; median of {args.repeat} ticks")
        print_header(f"{'rituals':>10} {'due':>6} {'tick ms':>10} {'ms per due':>11} {'seed s':>8}")
        results = []
        for n in sizes:
            due, seconds, seeded = run_size(url, n, args.repeat)
            per_due = ms_per_due(seconds, due)
            results.append((n, due, seconds, per_due))
            print(f"{n:>10,} {due:>6,} {seconds * 1000:>10.1f} {per_due:>11.3f} {seeded:>8.1f}")
    print_tick_ratios(results, "rituals", "reminder")


if __name__ == "__main__":
    main()
