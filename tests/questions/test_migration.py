"""The migration schedules the first reminder of the couples that were already paired."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import text

from api.extensions import db


def test_couples_paired_before_the_release_get_their_next_reminder(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        upgrade(revision="0b7e1c2d3f40")
        with db.engine.begin() as conn:
            for couple_id, zone, unpaired in ((1, "Asia/Tokyo", None), (2, "UTC", "2026-01-01")):
                conn.execute(
                    text(
                        "INSERT INTO couples (id, paired_at, unpaired_at, timezone, day_starts_at)"
                        " VALUES (:id, '2025-01-01 00:00:00', :unpaired, :zone, '04:00:00.000000')"
                    ),
                    {"id": couple_id, "zone": zone, "unpaired": unpaired},
                )
        before = datetime.now(UTC)
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, next_question_at FROM couples")).all())
            times = set(conn.execute(text("SELECT question_time FROM couples")).scalars())
        db.engine.dispose()
    assert rows[2] is None  # unpaired: never reminded
    first = datetime.fromisoformat(rows[1]).replace(tzinfo=UTC)
    # 19:00 in Tokyo is 10:00Z, within the next day.
    assert (first.hour, first.minute) == (10, 0)
    assert 0 < (first - before).total_seconds() <= 86_400
    assert {t[:5] for t in times} == {"19:00"}
