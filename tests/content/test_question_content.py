"""The question files: validated like the affirmations, imported by slug, retired not deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from api.content.loader import ContentError, load
from api.content.service import import_content
from api.extensions import db
from api.questions.models import Question

CONTENT = Path(__file__).resolve().parents[2] / "content"


def write(folder: Path, name: str, locale: str, items: list[dict]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump({"locale": locale, "questions": items}), encoding="utf-8")
    return path


def item(slug: str, depth: str = "light", category: str = "fun", text: str = "Why?") -> dict:
    return {"slug": slug, "depth": depth, "category": category, "text": text}


def problems(path: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load(path)
    return caught.value.problems


def test_the_shipped_library_is_big_enough_and_valid():
    content = load(CONTENT / "questions")
    english = [q for q in content.questions if q.locale == "en"]
    spanish = [q for q in content.questions if q.locale == "es"]
    assert len(english) >= 365 and len(spanish) >= 150
    assert {q.depth for q in english} == {"light", "deeper", "deep"}
    assert len({q.text for q in english}) == len(english)  # no question written twice


def test_each_problem_names_the_file_the_item_and_the_field(tmp_path):
    path = write(
        tmp_path,
        "en.yaml",
        "en",
        [
            item("ok"),
            item("ok"),
            item("Bad Slug"),
            item("shallow", depth="shallow"),
            item("chores", category="chores"),
            item("long", text="x" * 501),
            {**item("extra"), "answer": "no"},
        ],
    )
    found = problems(path)
    assert f"{path}: item 'ok': slug: duplicate slug (already used earlier in this file)" in found
    assert any("item 'Bad Slug': slug: must be lowercase" in p for p in found)
    assert f"{path}: item 'shallow': depth: must be one of light, deeper, deep" in found
    assert any(p.startswith(f"{path}: item 'chores': category: must be one of") for p in found)
    assert f"{path}: item 'long': text: must be 1-500 characters" in found
    assert f"{path}: item 'extra': answer: unknown field" in found


def test_a_translation_keeps_depth_and_category_and_needs_its_english_original(tmp_path):
    write(tmp_path, "en.yaml", "en", [item("a", depth="deep", category="us")])
    es = write(
        tmp_path,
        "es.yaml",
        "es",
        [item("a", depth="light", category="fun"), item("orphan")],
    )
    found = problems(tmp_path)
    assert any(p.startswith(f"{es}: item 'a': depth: is 'light' but 'deep'") for p in found)
    assert any(p.startswith(f"{es}: item 'a': category: is 'fun' but 'us'") for p in found)
    assert any(p.startswith(f"{es}: item 'orphan': slug: no 'en' question") for p in found)


def test_import_is_idempotent_and_retires_what_a_file_drops(tmp_path):
    write(tmp_path, "en.yaml", "en", [item("a"), item("b", text="Who?")])
    write(tmp_path, "es.yaml", "es", [item("a", text="¿Por qué?")])
    first = import_content(db.session, load(tmp_path))
    assert (first.questions.created, first.questions.updated, first.questions.retired) == (3, 0, 0)
    again = import_content(db.session, load(tmp_path))
    assert again.questions.changed == 0
    # Importing only the English file never retires the Spanish rows.
    write(tmp_path, "en.yaml", "en", [item("a", text="Why not?")])
    only_en = import_content(db.session, load(tmp_path / "en.yaml"))
    assert (only_en.questions.updated, only_en.questions.retired) == (1, 1)
    rows = db.session.execute(
        select(Question.slug, Question.locale, Question.retired_at.is_(None)).order_by(
            Question.slug, Question.locale
        )
    ).all()
    assert [tuple(r) for r in rows] == [("a", "en", True), ("a", "es", True), ("b", "en", False)]
    assert db.session.scalar(select(func.count()).select_from(Question)) == 3
