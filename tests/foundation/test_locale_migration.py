"""users.locale grows to 35 characters without losing a user, an id or SQLite's AUTOINCREMENT."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from api.extensions import db
from api.notifications.categories import PREFERENCES


def test_the_locale_column_grows_and_shrinks_back_keeping_the_users(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        upgrade(revision="8e2f4a6c1d37")
        with db.engine.begin() as conn:
            flags = [f"notify_{p}" for p in PREFERENCES]
            conn.execute(
                text(
                    "INSERT INTO users (uid, display_name, timezone, locale, created_at, "
                    + ", ".join(flags)
                    + ") VALUES ('kim', 'Kim', 'UTC', 'es-MX', '2026-01-01 00:00:00.000000'"
                    + ", 1" * len(flags)
                    + ")"
                )
            )
        upgrade()
        with db.engine.begin() as conn:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
            ).scalar_one()
            conn.execute(text("UPDATE users SET locale = 'es-ES-u-rg-mxzzzz' WHERE uid = 'kim'"))
            kept = conn.execute(text("SELECT id, locale FROM users WHERE uid = 'kim'")).one()
        downgrade(revision="8e2f4a6c1d37")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT locale FROM users WHERE uid = 'kim'")).scalar_one()
        db.engine.dispose()
    assert "VARCHAR(35)" in sql and "AUTOINCREMENT" in sql.upper()
    assert tuple(kept) == (1, "es-ES-u-rg-mxzzzz")
    assert back == "es"  # a tag too long for the old column keeps its language
