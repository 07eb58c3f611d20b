"""Benchmark: a recap read costs the same at any history; the Sunday tick follows what is due.

Part 1 seeds one couple with 10 and with 1,000 weeks of history (each week: two rituals'
check-ins, affirmations both ways, gratitude, mood entries with needs), by bulk inserts, and
times reading one past week's recap and a page of 12 recaps (median of REPEAT reads). The
ratio of 1,000 weeks to 10 weeks should be about 1.

Part 2 seeds 10k and 1M couples with their `recap_schedules` rows, about one in 1,440 due at
the tick's instant (Sunday 19:00 in Berlin) and the rest spread over the coming week, and
times one recap tick (claim with SKIP LOCKED, build each due couple's recap, two pushes,
advance, commit), restoring the due rows in between. The cost per due couple should stay
about flat while the couples grow 100-fold.

    python bench/recaps.py                                  # SQLite (a throw-away file)
    python bench/recaps.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/recaps.py --weeks 10,1000 --couples 10000,1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, delete, insert, update  # noqa: E402

from api import clock  # noqa: E402
from api.affirmations.models import AffirmationMessage, GratitudeEntry  # noqa: E402
from api.extensions import db  # noqa: E402
from api.moods.models import MoodEntry, MoodNeed  # noqa: E402
from api.notifications.models import Notification  # noqa: E402
from api.pairing.models import Couple  # noqa: E402
from api.recaps import service  # noqa: E402
from api.recaps.models import RecapSchedule  # noqa: E402
from api.rituals.models import Ritual  # noqa: E402
from api.streaks.models import CheckIn  # noqa: E402
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

# Sunday 8 March 2026, 19:00 in Berlin: the push instant of every Berlin couple.
MOMENT = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)
TODAY = date(2026, 3, 8)
CHUNK = 20_000
NEEDS = ("heard", "touched", "space", "encouraged")


def users_and_couples(couples: int) -> None:
    """couples couples of two users each, all in Berlin, by bulk inserts."""
    users = [
        {
            "id": i,
            "uid": f"bench-{i}",
            "display_name": "",
            "timezone": "Europe/Berlin",
            "locale": ("en", "es")[i % 2],
            "created_at": MOMENT,
        }
        for i in range(1, 2 * couples + 1)
    ]
    for part in chunks(users, CHUNK):
        db.session.execute(insert(User), part)
    del users
    rows = [
        {
            "id": c,
            "user_a_id": 2 * c - 1,
            "user_b_id": 2 * c,
            "paired_at": datetime(2000, 1, 3, tzinfo=UTC),
            "timezone": "Europe/Berlin",
            "day_starts_at": wall(4),
        }
        for c in range(1, couples + 1)
    ]
    # Core inserts skip the ORM's after_insert listener: the schedule rows are seeded by hand.
    for part in chunks(rows, CHUNK):
        db.session.execute(insert(Couple.__table__), part)


def seed_history(weeks: int) -> None:
    """One couple (id 1) with `weeks` weeks of everything the recap reads."""
    users_and_couples(1)
    db.session.execute(
        insert(Ritual.__table__),
        [
            {
                "id": r,
                "couple_id": 1,
                "title": f"Ritual {r}",
                "description": "",
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": wall(18, 30),
                "timezone": "Europe/Berlin",
                "reminder_enabled": False,
                "reminder_minutes_before": 0,
                "completion": ("either", "both")[r - 1],
                "paused": False,
                "client_id": f"00000000-0000-4000-8000-{r:012d}",
                "created_at": datetime(2000, 1, 3, tzinfo=UTC),
            }
            for r in (1, 2)
        ],
    )
    checkins, messages, thanks, entries, needs = [], [], [], [], []
    for day_index in range(weeks * 7):
        day = TODAY - timedelta(days=day_index)
        instant = datetime.combine(day, wall(12), tzinfo=UTC)
        monday = day - timedelta(days=day.weekday())
        for ritual in (1, 2):
            for user in (1, 2):
                checkins.append(
                    {
                        "ritual_id": ritual,
                        "couple_id": 1,
                        "user_id": user,
                        "local_date": day,
                        "client_id": f"c-{day_index}-{ritual}-{user}",
                        "created_at": instant,
                    }
                )
        sender = 1 + day_index % 2
        messages.append(
            {
                "couple_id": 1,
                "sender_id": sender,
                "recipient_id": 3 - sender,
                "text": "You are lovely",
                "client_id": f"m-{day_index}",
                "created_at": instant,
            }
        )
        thanks.append(
            {
                "couple_id": 1,
                "author_id": sender,
                "text": "The coffee",
                "client_id": f"g-{day_index}",
                "created_at": instant,
            }
        )
        entries.append(
            {
                "id": day_index + 1,
                "couple_id": 1,
                "user_id": sender,
                "local_date": day,
                "week_start": monday,
                "mood": 1 + day_index % 5,
                "client_id": f"e-{day_index}",
                "created_at": instant,
            }
        )
        needs.append({"entry_id": day_index + 1, "slug": NEEDS[day_index % 4], "position": 0})
    for model, rows in (
        (CheckIn, checkins),
        (AffirmationMessage, messages),
        (GratitudeEntry, thanks),
        (MoodEntry, entries),
        (MoodNeed, needs),
    ):
        for part in chunks(rows, CHUNK):
            db.session.execute(insert(model.__table__), part)
    db.session.commit()
    analyze(db.session)


def time_read(url: str, weeks: int, repeat: int) -> tuple[float, float]:
    """Median seconds of one past week's recap and of a page of 12, at `weeks` of history."""
    app = test_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_history(weeks)
        clock.set_fixed(MOMENT)
        couple = db.session.get(Couple, 1)
        one, page = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            service.get(db.session, couple=couple, label="2026-W09")
            one.append(time.perf_counter() - started)
            started = time.perf_counter()
            service.list_recaps(db.session, couple=couple, limit=12, cursor=None)
            page.append(time.perf_counter() - started)
        clock.set_fixed(None)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return statistics.median(one), statistics.median(page)


def time_tick(url: str, couples: int, repeat: int) -> tuple[int, float, float]:
    """(couples due, median tick seconds, seed seconds) with `couples` couples."""
    app = test_app(url)
    rng = random.Random(couples)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        users_and_couples(couples)
        due_ids = []
        batch = []
        week_seconds = 7 * 24 * 3600
        for c in range(1, couples + 1):
            if rng.randrange(1440) == 0:
                due_ids.append(c)
                at = MOMENT - timedelta(seconds=rng.randrange(60))
            else:
                at = MOMENT + timedelta(seconds=1 + rng.randrange(week_seconds))
            batch.append({"couple_id": c, "next_recap_at": at})
            if len(batch) == CHUNK:
                db.session.execute(insert(RecapSchedule.__table__), batch)
                batch = []
        if batch:
            db.session.execute(insert(RecapSchedule.__table__), batch)
        db.session.commit()
        analyze(db.session)
        seeded = time.perf_counter() - started
        timings = []
        for _ in range(repeat):
            clock.set_fixed(MOMENT)
            started = time.perf_counter()
            result = service.run_due(db.session, moment=MOMENT)
            timings.append(time.perf_counter() - started)
            assert result.sent == len(due_ids), (result, len(due_ids))
            db.session.execute(delete(Notification))
            if due_ids:
                table = RecapSchedule.__table__
                db.session.execute(
                    update(table)
                    .where(table.c.couple_id == bindparam("cid"))
                    .values(next_recap_at=MOMENT, last_sent_week=None),
                    [{"cid": c} for c in due_ids],
                )
            db.session.commit()
            app.extensions["hearth_queue"].connection.flushdb()
        clock.set_fixed(None)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return len(due_ids), statistics.median(timings), seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weeks", default="10,1000", help="weeks of history (part 1)")
    parser.add_argument("--couples", default="10000,1000000", help="couples (part 2)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default SQLite)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (median)")
    args = parser.parse_args()
    weeks = parse_sizes(args.weeks)
    couples = parse_sizes(args.couples)

    with scratch_database(args.database_url, "recaps") as (url, backend):
        if weeks:
            print(f"recap read on {backend}: median of {args.repeat}")
            print_header(f"{'weeks':>8} {'one week ms':>12} {'page of 12 ms':>14}")
            reads = []
            for w in weeks:
                one, page = time_read(url, w, args.repeat)
                reads.append((w, one, page))
                print(f"{w:>8,} {one * 1000:>12.1f} {page * 1000:>14.1f}")
            if len(reads) >= 2:
                (w0, o0, p0), (w1, o1, p1) = reads[0], reads[-1]
                print(
                    f"{w1:,} / {w0:,} weeks: one week x{o1 / o0:.2f}, page of 12 x{p1 / p0:.2f}\n"
                )
        if couples:
            print(
                f"Sunday recap tick on {backend}: ~1 in 1,440 couples due; median of {args.repeat}"
            )
            print_header(
                f"{'couples':>10} {'due':>6} {'tick ms':>10} {'ms per due':>11} {'seed s':>8}"
            )
            ticks = []
            for n in couples:
                due, seconds, seeded = time_tick(url, n, args.repeat)
                per_due = ms_per_due(seconds, due)
                ticks.append((n, due, seconds, per_due))
                print(f"{n:>10,} {due:>6,} {seconds * 1000:>10.1f} {per_due:>11.2f} {seeded:>8.1f}")
            print_tick_ratios(ticks, "couples", "couple")


if __name__ == "__main__":
    main()
