"""Ids are never handed out twice, even after the newest row is deleted (SQLite AUTOINCREMENT)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask_migrate import upgrade

import api.sqlite_ids
from api import create_app
from api.config import Config
from api.extensions import db
from tests.conftest import BASE_DATABASE_URL, auth

sqlite_only = pytest.mark.skipif(bool(BASE_DATABASE_URL), reason="SQLite's own table rebuild")


def test_a_deleted_devices_id_is_not_given_to_the_next(client):
    first = client.post(
        "/v1/devices",
        json={"token": "phone-1:" + "x" * 40, "platform": "ios"},
        headers=auth("alex"),
    ).get_json()["id"]
    assert client.delete(f"/v1/devices/{first}", headers=auth("alex")).status_code == 204
    second = client.post(
        "/v1/devices",
        json={"token": "phone-2:" + "x" * 40, "platform": "ios"},
        headers=auth("alex"),
    ).get_json()["id"]
    assert second > first


@sqlite_only
def test_every_generated_integer_key_is_autoincrement(app):
    rows = db.session.execute(
        db.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    ).all()
    tables = {name: sql for name, sql in rows if not name.startswith(("sqlite_", "alembic"))}
    expected = {
        table.name
        for table in db.metadata.sorted_tables
        if api.sqlite_ids.generates_integer_ids(table)
    }
    assert expected, "no table with a generated id?"
    assert {name for name, sql in tables.items() if "AUTOINCREMENT" in sql} == expected


@sqlite_only
def test_the_migration_rebuilds_existing_tables_keeping_their_rows(tmp_path: Path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    app = create_app(
        Config.from_env({}, APP_ENV="test", DATABASE_URL=f"sqlite:///{path}", AUTH_MODE="dev")
    )
    # A database made before the compile hook existed: plain INTEGER PRIMARY KEYs.
    monkeypatch.setattr(api.sqlite_ids, "generates_integer_ids", lambda table: False)
    with app.app_context():
        upgrade(revision="0b7e1c2d3f40")
    # Rows written as that schema stood (raw SQL: today's code expects today's tables).
    with sqlite3.connect(path) as raw:
        for uid in ("alex", "sam"):
            raw.execute(
                "INSERT INTO users (uid, display_name, timezone, locale, notify_ritual_reminders,"
                " notify_partner_activity, notify_streaks, notify_affirmations, created_at)"
                " VALUES (?, '', 'UTC', 'en', 1, 1, 1, 1, '2026-01-01 00:00:00')",
                (uid,),
            )
        raw.execute(
            "INSERT INTO couples (user_a_id, user_b_id, paired_at, timezone, day_starts_at)"
            " VALUES (1, 2, '2026-01-01 00:00:00', 'UTC', '04:00:00')"
        )
        raw.execute("UPDATE users SET couple_id = 1")
    with sqlite3.connect(path) as raw:
        before = {}
        for (t,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            cursor = raw.execute(f'SELECT * FROM "{t}" ORDER BY 1')
            columns = ", ".join(f'"{d[0]}"' for d in cursor.description)
            before[t] = (columns, cursor.fetchall())
        assert "AUTOINCREMENT" not in str(raw.execute("SELECT sql FROM sqlite_master").fetchall())
    monkeypatch.undo()
    with app.app_context():
        upgrade()
        db.engine.dispose()
    with sqlite3.connect(path) as raw:
        schema = dict(raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        assert "AUTOINCREMENT" in schema["users"] and "AUTOINCREMENT" in schema["couples"]
        for table, (columns, table_rows) in before.items():
            if table != "alembic_version":
                # Every row survived the rebuild (later migrations may add columns): no ON
                # DELETE CASCADE ran on the old tables.
                kept = raw.execute(f'SELECT {columns} FROM "{table}" ORDER BY 1').fetchall()
                assert kept == table_rows
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        # Deleting the newest user and adding one gives a new id.
        newest = raw.execute("SELECT max(id) FROM users").fetchone()[0]
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("DELETE FROM users WHERE id = ?", (newest,))
        raw.execute(
            "INSERT INTO users (uid, display_name, timezone, locale, notify_ritual_reminders,"
            " notify_partner_activity, notify_streaks, notify_affirmations, created_at)"
            " VALUES ('kim', '', 'UTC', 'en', 1, 1, 1, 1, '2026-01-01 00:00:00')"
        )
        assert raw.execute("SELECT max(id) FROM users").fetchone()[0] == newest + 1
