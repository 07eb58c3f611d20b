"""One id per affirmation in every language; a Spanish reader gets Spanish first, and Spanish."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


@pytest.fixture
def shipped():
    content = load(CONTENT)
    import_content(db.session, content)
    return content


def library(client, headers, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        url = f"/v1/affirmations?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).get_json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_the_same_affirmation_has_the_same_id_in_every_locale(client, shipped):
    UserFactory(uid="ana", locale="es-MX")
    english = {i["slug"]: i for i in library(client, auth("sam"), 100)}
    spanish = {i["slug"]: i for i in library(client, auth("ana"), 100)}

    assert english.keys() == spanish.keys()
    assert all(spanish[slug]["id"] == english[slug]["id"] for slug in english)
    translated = {a.slug: a.text for a in shipped.affirmations if a.locale == "es"}
    for slug, item in spanish.items():
        expected = ("es", translated[slug]) if slug in translated else ("en", english[slug]["text"])
        assert (item["locale"], item["text"]) == expected


def test_a_spanish_reader_gets_translated_items_first_across_pages(client, tmp_path):
    # a, c translated; b, d only in English: es readers see a, c, then b, d.
    (tmp_path / "en.yaml").write_text(
        "locale: en\naffirmations:\n"
        + "".join(f"  - {{slug: {s}, category: love, text: En {s}}}\n" for s in "abcd"),
        encoding="utf-8",
    )
    (tmp_path / "es.yaml").write_text(
        "locale: es\naffirmations:\n"
        + "".join(f"  - {{slug: {s}, category: love, text: Es {s}}}\n" for s in "ac"),
        encoding="utf-8",
    )
    import_content(db.session, load(tmp_path))
    UserFactory(uid="ana", locale="es")

    items = library(client, auth("ana"), limit=1)  # one per page: the cursor crosses groups

    assert [(i["slug"], i["locale"]) for i in items] == [
        ("a", "es"),
        ("c", "es"),
        ("b", "en"),
        ("d", "en"),
    ]
    assert [i["slug"] for i in library(client, auth("sam"), limit=3)] == ["a", "b", "c", "d"]
    bad = client.get("/v1/affirmations?cursor=eyJhZnRlciI6IDEsICJyYW5rIjogN30", headers=auth("ana"))
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]


def test_the_daily_id_sends_and_reaches_a_spanish_partner_in_spanish(client, shipped):
    CoupleFactory(a__uid="tom", a__locale="en", a__display_name="Tom", b__uid="ana", b__locale="es")
    daily = client.get("/v1/affirmations/daily", headers=auth("tom")).get_json()
    spanish = {a.slug: a.text for a in shipped.affirmations if a.locale == "es"}
    slug = next(s for s in spanish if s != daily["slug"])
    [es_item] = [i for i in library(client, auth("ana"), 100) if i["slug"] == slug]

    sent = client.post(
        "/v1/couple/affirmations",
        headers=auth("tom"),
        json={"affirmation_id": es_item["id"], "client_id": str(uuid.uuid4())},
    )

    assert sent.status_code == 201
    assert sent.get_json()["text"] == spanish[slug]
    assert sent.get_json()["affirmation"]["slug"] == slug
    feed = client.get("/v1/notifications", headers=auth("ana")).get_json()["items"]
    assert (feed[0]["title"], feed[0]["body"]) == ("Tom te envió una afirmación", spanish[slug])


def test_the_migration_keeps_the_english_id_and_repoints_messages(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    from dataclasses import replace

    from api import create_app
    from api.config import Config

    app = create_app(replace(Config.from_env({}, APP_ENV="test"), DATABASE_URL=url))
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        upgrade(revision="0b7e1c2d3f40")
        engine = create_engine(url)
        with engine.begin() as conn:
            stamp = "'2026-01-01 00:00:00'"
            conn.execute(
                text(
                    "INSERT INTO affirmations (id, slug, locale, category, text, created_at,"
                    f" updated_at) VALUES (1, 'hug', 'en', 'love', 'A hug', {stamp}, {stamp}),"
                    f" (2, 'hug', 'es', 'love', 'Un abrazo', {stamp}, {stamp}),"
                    f" (3, 'only-es', 'es', 'love', 'Solo', {stamp}, {stamp})"
                )
            )
            # The message's sender, recipient and couple (migrations check foreign keys after).
            for uid in ("alex", "sam"):
                conn.execute(
                    text(
                        "INSERT INTO users (uid, display_name, timezone, locale,"
                        " notify_ritual_reminders, notify_partner_activity, notify_streaks,"
                        f" notify_affirmations, created_at) VALUES ('{uid}', '', 'UTC', 'en',"
                        f" 1, 1, 1, 1, {stamp})"
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO couples (id, user_a_id, user_b_id, paired_at, timezone,"
                    f" day_starts_at) VALUES (1, 1, 2, {stamp}, 'UTC', '04:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO affirmation_messages (id, couple_id, sender_id, recipient_id,"
                    " affirmation_id, text, client_id, created_at)"
                    f" VALUES (1, 1, 2, 1, 2, 'Un abrazo', 'c1', {stamp})"
                )
            )

        upgrade()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, slug FROM affirmations ORDER BY id")).all() == [
                (1, "hug"),
                (3, "only-es"),
            ]
            assert conn.execute(
                text("SELECT affirmation_id, locale, text FROM affirmation_texts ORDER BY id")
            ).all() == [(1, "en", "A hug"), (1, "es", "Un abrazo"), (3, "es", "Solo")]
            assert conn.execute(text("SELECT affirmation_id FROM affirmation_messages")).all() == [
                (1,)
            ]

        downgrade(revision="0b7e1c2d3f40")
        with engine.connect() as conn:
            assert conn.execute(
                text("SELECT slug, locale, text FROM affirmations ORDER BY slug, locale")
            ).all() == [
                ("hug", "en", "A hug"),
                ("hug", "es", "Un abrazo"),
                ("only-es", "es", "Solo"),
            ]
        engine.dispose()
        db.engine.dispose()
