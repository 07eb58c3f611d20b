"""GET /v1/affirmations and /v1/affirmations/daily: the library and today's suggestion."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from tests.conftest import auth
from tests.factories import UserFactory

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def shipped():
    """The shipped library, imported."""
    content = load(CONTENT)
    import_content(db.session, content)
    return content


def small_library(tmp_path, *slugs: str, locale: str = "en") -> None:
    lines = [f"locale: {locale}", "affirmations:"]
    lines += [f"  - {{slug: {s}, category: love, text: Text of {s}}}" for s in slugs]
    path = tmp_path / f"{locale}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_content(db.session, load(path))


def whole_library(client, headers, query=""):
    items, cursor, pages = [], None, 0
    while True:
        url = f"/v1/affirmations?limit=50{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor, pages = response.json["next_cursor"], pages + 1
        if cursor is None:
            return items, pages


def test_library_pages_through_every_english_affirmation_once(client, shipped):
    en = [a for a in shipped.affirmations if a.locale == "en"]
    items, pages = whole_library(client, auth("sam"))
    assert pages == -(-len(en) // 50)
    assert sorted(i["slug"] for i in items) == sorted(a.slug for a in en)
    assert {i["locale"] for i in items} == {"en"}
    assert set(items[0]) == {"id", "slug", "category", "locale", "text"}


def test_category_filter(client, shipped):
    items, _ = whole_library(client, auth("sam"), "&category=playful")
    expected = {a.slug for a in shipped.affirmations if a.category == "playful"}
    assert {i["slug"] for i in items} == expected
    assert {i["category"] for i in items} == {"playful"}


@pytest.mark.parametrize(
    ("locale", "served"), [("es", "es"), ("es-MX", "es"), ("fr", "en"), ("zh-Hant", "en")]
)
def test_library_is_in_the_users_locale_with_english_fallback(client, shipped, locale, served):
    UserFactory(uid="ana", locale=locale)
    items, _ = whole_library(client, auth("ana"))
    english = {a.slug: a for a in shipped.affirmations if a.locale == "en"}
    translated = {a.slug: a for a in shipped.affirmations if a.locale == served}
    # Every slug exactly once, in the user's language where it exists.
    assert sorted(i["slug"] for i in items) == sorted(english)
    for item in items:
        expected = translated.get(item["slug"]) or english[item["slug"]]
        assert (item["locale"], item["text"]) == (expected.locale, expected.text)
    if served == "es":
        assert sum(i["locale"] == "es" for i in items) == len(translated)


def test_bad_query_is_422(client, shipped):
    for query in ("category=romance", "limit=0", "limit=101", "cursor=garbage"):
        response = client.get(f"/v1/affirmations?{query}", headers=auth("sam"))
        assert response.status_code == 422, query
        assert response.content_type == "application/problem+json"


def test_daily_is_stable_for_the_local_day_and_changes_at_local_midnight(client, clock, shipped):
    UserFactory(uid="kiri", timezone="Pacific/Auckland")
    headers = auth("kiri")
    # 23:00 in Auckland on 2 March (NZDT, UTC+13).
    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    first = client.get("/v1/affirmations/daily", headers=headers)
    assert first.status_code == 200
    clock.advance(minutes=59)  # 23:59 local: still the same day
    assert client.get("/v1/affirmations/daily", headers=headers).json == first.json
    clock.advance(minutes=2)  # 00:01 local on 3 March, though still 2 March in UTC
    second = client.get("/v1/affirmations/daily", headers=headers).json
    assert second["slug"] != first.json["slug"]
    assert client.get("/v1/affirmations/daily", headers=headers).json == second


def test_daily_is_seeded_per_user(client, clock, shipped):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    picks = {
        client.get("/v1/affirmations/daily", headers=auth(f"u{i}")).json["slug"] for i in range(8)
    }
    # Seeded per user: eight people do not all get the same suggestion.
    assert len(picks) > 1


def test_daily_never_repeats_until_the_library_is_exhausted(client, clock, tmp_path):
    slugs = [f"item-{n}" for n in range(5)]
    small_library(tmp_path, *slugs)
    UserFactory(uid="sam", timezone="Europe/Berlin")
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    seen = []
    for _ in range(15):
        seen.append(client.get("/v1/affirmations/daily", headers=auth("sam")).json["slug"])
        clock.advance(days=1)
    for cycle in range(3):
        assert sorted(seen[cycle * 5 : cycle * 5 + 5]) == slugs
    # A new cycle never opens with the affirmation of the day before.
    assert seen[4] != seen[5] and seen[9] != seen[10]


def test_daily_cycle_counts_the_users_locale_library(client, clock, tmp_path):
    small_library(tmp_path, "a", "b", "c")
    small_library(tmp_path, "a", locale="es")
    UserFactory(uid="ana", locale="es")
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    days = []
    for _ in range(3):
        days.append(client.get("/v1/affirmations/daily", headers=auth("ana")).json)
        clock.advance(days=1)
    assert sorted(d["slug"] for d in days) == ["a", "b", "c"]
    assert {d["slug"]: d["locale"] for d in days} == {"a": "es", "b": "en", "c": "en"}


def test_daily_follows_a_locale_change_within_the_day(client, clock, tmp_path):
    small_library(tmp_path, "a")
    small_library(tmp_path, "a", locale="es")
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    assert client.get("/v1/affirmations/daily", headers=auth("ana")).json["locale"] == "en"
    assert client.patch("/v1/me", json={"locale": "es"}, headers=auth("ana")).status_code == 200
    assert client.get("/v1/affirmations/daily", headers=auth("ana")).json["text"] == "Text of a"
    assert client.get("/v1/affirmations/daily", headers=auth("ana")).json["locale"] == "es"


def test_daily_on_an_empty_library_is_404(client):
    response = client.get("/v1/affirmations/daily", headers=auth("sam"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_library_needs_a_token(client, shipped):
    assert client.get("/v1/affirmations").status_code == 401
    assert client.get("/v1/affirmations/daily").status_code == 401
