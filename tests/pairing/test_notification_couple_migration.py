"""The migration that names each push's couple keeps what was pending as the delivery saw it."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from api.extensions import db


def test_pending_pushes_get_their_recipients_couple_and_those_of_the_unpaired_stop(
    make_app, tmp_path
):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        upgrade(revision="7c2e9b4d1a63")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO couples (id, paired_at, timezone, day_starts_at)"
                    " VALUES (7, '2026-01-01 00:00:00', 'UTC', '04:00:00.000000')"
                )
            )
            for user_id, couple_id in ((1, 7), (2, None)):
                conn.execute(
                    text(
                        "INSERT INTO users (id, uid, display_name, timezone, locale, couple_id,"
                        " notify_ritual_reminders, notify_partner_activity, notify_streaks,"
                        " notify_affirmations, created_at) VALUES (:id, :uid, '', 'UTC', 'en',"
                        " :couple, 1, 1, 1, 1, '2026-01-01 00:00:00')"
                    ),
                    {"id": user_id, "uid": f"u{user_id}", "couple": couple_id},
                )
            rows = [  # (id, recipient, category, status)
                (1, 1, "affirmation", "pending"),
                (2, 2, "affirmation", "pending"),
                (3, 2, "pairing", "pending"),
                (4, 1, "affirmation", "sent"),
            ]
            for row_id, recipient, category, status in rows:
                conn.execute(
                    text(
                        "INSERT INTO notifications (id, recipient_id, category, title, body, data,"
                        " dedupe_key, status, deliver_after, attempts, created_at) VALUES"
                        " (:id, :recipient, :category, 't', 'b', '{}', :key, :status,"
                        " '2026-01-01 00:00:00', 0, '2026-01-01 00:00:00')"
                    ),
                    {
                        "id": row_id,
                        "recipient": recipient,
                        "category": category,
                        "key": f"k{row_id}",
                        "status": status,
                    },
                )
        upgrade()
        with db.engine.connect() as conn:
            after = conn.execute(
                text("SELECT id, couple_id, status FROM notifications ORDER BY id")
            ).all()
        db.engine.dispose()
    assert [tuple(r) for r in after] == [
        (1, 7, "pending"),  # about the couple its recipient is in
        (2, None, "suppressed"),  # its recipient is in no couple: never sent, as before
        (3, None, "pending"),  # pairing's own push: about no couple
        (4, None, "sent"),  # done: left as it was
    ]
