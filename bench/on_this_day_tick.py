"""Benchmark: an "on this day" tick costs what is due, not how many couples or memories exist.

For each N (default 10k and 1M couples) it seeds N couples in six time zones, each with 10
memories spread over 2016-2025 (one couple in five with an anniversary), and the schedule a
live system would hold (each couple's next 09:00 couple-local with something to bring back),
all by bulk SQL on PostgreSQL (generate_series; the schedule computed in SQL and checked
against the app's own function on a sample). It then times one tick at 09:00 Berlin (claim
the due couples by next_due_at with SKIP LOCKED, find their memories of the day, write one
push per partner in their language, move each couple to its next day, commit) REPEAT times,
restoring the due rows in between, and prints the median per N, the cost per due couple and
the ratio of the largest N's figures to the smallest's. With cost following the number due,
the tick time grows like the number due and the cost per due couple stays about flat.

    python bench/on_this_day_tick.py                      # PostgreSQL on 127.0.0.1:5432
    python bench/on_this_day_tick.py --database-url postgresql://postgres@host:5432/test
    python bench/on_this_day_tick.py --sizes 10000,100000 --repeat 5

It creates (and drops at the end) its own database on that server. PostgreSQL only: the
bulk seeding is SQL that SQLite does not speak (generate_series, make_date, AT TIME ZONE).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, delete, select, text, update  # noqa: E402

from api import clock  # noqa: E402
from api.extensions import db  # noqa: E402
from api.memories import on_this_day  # noqa: E402
from api.memories.models import OnThisDaySchedule  # noqa: E402
from api.notifications.models import Notification  # noqa: E402
from api.pairing.models import Couple  # noqa: E402
from bench.common import (  # noqa: E402
    analyze,
    is_postgres,
    ms_per_due,
    parse_sizes,
    print_header,
    print_tick_ratios,
    scratch_database,
    test_app,
)

DEFAULT_SIZES = (10_000, 1_000_000)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
MEMORIES_PER_COUPLE = 10
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Tokyo",
)
# 09:00 in Berlin on Tuesday 3 March 2026: the Berlin couples with a memory of 3 March are due.
MOMENT = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
SAMPLE = 300

ZONE_ARRAY = "ARRAY[" + ",".join(f"'{z}'" for z in ZONES) + "]"

SEED_SQL = [
    # Users: two per couple, one in four reading Spanish.
    """
    INSERT INTO users (id, uid, display_name, timezone, locale, notify_ritual_reminders,
        notify_partner_activity, notify_streaks, notify_affirmations, notify_daily_question,
        notify_moods, notify_memories, notify_recap, created_at)
    SELECT g, 'bench-' || g, '', 'UTC', CASE WHEN g % 4 = 0 THEN 'es' ELSE 'en' END,
        true, true, true, true, true, true, true, true, :moment
    FROM generate_series(1, 2 * :n) AS g
    """,
    f"""
    INSERT INTO couples (id, user_a_id, user_b_id, paired_at, timezone, day_starts_at,
        question_time, anniversary)
    SELECT c, 2 * c - 1, 2 * c, :moment, ({ZONE_ARRAY})[1 + c % 6], time '04:00', time '19:00',
        CASE WHEN c % 5 = 0 THEN date '2018-01-01' + ((c * 37) % 365) END
    FROM generate_series(1, :n) AS c
    """,
    # Ten memories per couple, spread over ten years by a multiplicative hash of (c, i).
    """
    INSERT INTO memories (id, couple_id, author_id, title, text, happened_on, happened_md,
        client_id, created_at, updated_at)
    SELECT (c - 1) * 10 + i + 1, c, 2 * c - 1, 'Bench memory', NULL, d,
        extract(month FROM d)::int * 100 + extract(day FROM d)::int,
        ((c - 1) * 10 + i)::text, :moment, :moment
    FROM generate_series(1, :n) AS c
    CROSS JOIN generate_series(0, 9) AS i
    CROSS JOIN LATERAL (
        SELECT date '2016-01-01' + ((c::bigint * 7919 + i * 104729) % 3650)::int AS d
    ) AS x
    """,
    # The schedule a live system holds: the 09:00 (couple-local) of the first day, from
    # today (or tomorrow once today's 09:00 has passed), on which a memory's calendar day or
    # the anniversary comes round (29 Feb on 28 Feb: 2026 and 2027 are common years).
    """
    INSERT INTO on_this_day_schedules (couple_id, next_due_at, last_sent_on)
    WITH days AS (
        SELECT couple_id, happened_md AS md FROM memories
        UNION
        SELECT id, extract(month FROM anniversary)::int * 100 + extract(day FROM anniversary)::int
        FROM couples WHERE anniversary IS NOT NULL
    ), local AS (
        SELECT id, timezone, (:moment AT TIME ZONE timezone)::date AS today FROM couples
    ), start AS (
        SELECT id, timezone,
            CASE WHEN ((today + time '09:00') AT TIME ZONE timezone) >= :moment
                 THEN today ELSE today + 1 END AS s
        FROM local
    )
    SELECT st.id,
        (min(CASE WHEN o.y1 >= st.s THEN o.y1 ELSE o.y2 END) + time '09:00')
            AT TIME ZONE st.timezone,
        NULL
    FROM start AS st
    JOIN days ON days.couple_id = st.id
    CROSS JOIN LATERAL (
        SELECT days.md / 100 AS month,
            CASE WHEN days.md = 229 THEN 28 ELSE days.md % 100 END AS day
    ) AS md
    CROSS JOIN LATERAL (
        SELECT make_date(2026, md.month, md.day) AS y1, make_date(2027, md.month, md.day) AS y2
    ) AS o
    GROUP BY st.id, st.timezone
    """,
]

# Built after the bulk insert (faster than maintaining them row by row).
DEFERRED_INDEXES = (
    "ix_memories_timeline",
    "ix_memories_month_day",
    "ix_memories_author_id",
    "ix_on_this_day_schedules_next_due_at",
)


def seed(n: int) -> None:
    """N couples, 2N users, 10N memories and N schedules, by bulk SQL."""
    tables = {t.name: t for t in db.metadata.sorted_tables}
    indexes = [
        index
        for name in ("memories", "on_this_day_schedules")
        for index in tables[name].indexes
        if index.name in DEFERRED_INDEXES
    ]
    with db.engine.begin() as conn:
        for index in indexes:
            conn.execute(text(f"DROP INDEX {index.name}"))
        # Foreign keys are true by construction here; checking 20M references is seeding time.
        conn.execute(text("SET session_replication_role = replica"))
        for statement in SEED_SQL:
            conn.execute(text(statement), {"n": n, "moment": MOMENT})
        conn.execute(text("SET session_replication_role = DEFAULT"))
        for index in indexes:
            index.create(conn)
    analyze(db.engine, ("users", "couples", "memories", "on_this_day_schedules"))


def check_sample(n: int) -> None:
    """The seeded schedule is the app's own answer (on_this_day.next_due_at) for a sample."""
    rng = random.Random(n)
    ids = rng.sample(range(1, n + 1), min(SAMPLE, n))
    couples = {c.id: c for c in db.session.scalars(select(Couple).where(Couple.id.in_(ids)))}
    earliest = on_this_day.earliest_years(db.session, ids)
    seeded = dict(
        db.session.execute(
            select(OnThisDaySchedule.couple_id, OnThisDaySchedule.next_due_at).where(
                OnThisDaySchedule.couple_id.in_(ids)
            )
        ).all()
    )
    for couple_id in ids:
        expected = on_this_day.next_due_at(
            couples[couple_id], earliest.get(couple_id, {}), after=JUST_BEFORE
        )
        assert seeded[couple_id] == expected, (couple_id, seeded[couple_id], expected)
    db.session.commit()


# The schedule is as the previous tick left it: a couple due at MOMENT is still due.
JUST_BEFORE = MOMENT - timedelta(microseconds=1)


def time_ticks(app, repeat: int) -> tuple[int, int, list[float]]:  # type: ignore[no-untyped-def]
    """Run the tick REPEAT times from the same state; couples due, pushes, each run's seconds."""
    due = dict(
        db.session.execute(
            select(OnThisDaySchedule.couple_id, OnThisDaySchedule.next_due_at).where(
                OnThisDaySchedule.next_due_at <= MOMENT
            )
        ).all()
    )
    db.session.commit()
    timings = []
    pushes = 0
    for _ in range(repeat):
        clock.set_fixed(MOMENT)
        started = time.perf_counter()
        result = on_this_day.run_due(db.session, moment=MOMENT)
        timings.append(time.perf_counter() - started)
        assert result.couples == len(due), (result, len(due))
        pushes = result.notifications
        assert pushes >= 2 * len(due), result
        # Put the due rows back as they were, and forget the pushes (never delivered here).
        db.session.execute(delete(Notification))
        if due:
            table = OnThisDaySchedule.__table__
            db.session.execute(
                update(table)
                .where(table.c.couple_id == bindparam("cid"))
                .values(next_due_at=bindparam("due"), last_sent_on=None),
                [{"cid": cid, "due": at} for cid, at in due.items()],
            )
        db.session.commit()
        app.extensions["hearth_queue"].connection.flushdb()
    clock.set_fixed(None)
    return len(due), pushes, timings


def run_size(url: str, n: int, repeat: int) -> tuple[int, int, float, float]:
    app = test_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        seed(n)
        seeded = time.perf_counter() - started
        check_sample(n)
        due, pushes, timings = time_ticks(app, repeat)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return due, pushes, statistics.median(timings), seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated numbers of couples (default: 10000,1000000)",
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the PostgreSQL server")
    parser.add_argument("--repeat", type=int, default=3, help="ticks timed per size (median)")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)

    if not is_postgres(args.database_url):
        sys.exit("on_this_day_tick.py needs PostgreSQL (--database-url postgresql://...)")
    with scratch_database(args.database_url, "otd") as (url, _backend):
        print(
            f"on-this-day tick on postgresql at {MOMENT:%Y-%m-%d %H:%M}Z (09:00 Berlin), "
            f"{MEMORIES_PER_COUPLE} memories per couple; median of {args.repeat} ticks"
        )
        print_header(
            f"{'couples':>10} {'memories':>11} {'due':>6} {'pushes':>7} {'tick ms':>9} "
            f"{'ms per due':>11} {'seed s':>7}"
        )
        results = []
        for n in sizes:
            due, pushes, seconds, seeded = run_size(url, n, args.repeat)
            per_due = ms_per_due(seconds, due)
            results.append((n, due, seconds, per_due))
            print(
                f"{n:>10,} {n * MEMORIES_PER_COUPLE:>11,} {due:>6,} {pushes:>7,} "
                f"{seconds * 1000:>9.1f} {per_due:>11.3f} {seeded:>7.1f}"
            )
    print_tick_ratios(results, "couples", "couple")


if __name__ == "__main__":
    main()
