"""The couple's question of the day: the same for both, per couple-day, in each one's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.questions.models import CoupleQuestion, Question
from api.questions.service import WEEK_DEPTHS
from tests.conftest import auth
from tests.factories import UserFactory
from tests.questions.conftest import BERLIN, START, at


def test_both_partners_see_the_same_question_each_in_their_language(pair):
    # Sam lives in New York (six hours behind): the day is still the couple's Berlin day.
    alex, sam = pair.today(pair.alex), pair.today(pair.sam)
    assert alex["id"] == sam["id"]
    assert alex["local_date"] == sam["local_date"] == "2026-03-02"
    assert alex["question"]["slug"] == sam["question"]["slug"]
    assert alex["question"]["depth"] == sam["question"]["depth"] == WEEK_DEPTHS[0]
    english = db.session.scalars(
        select(Question).where(
            Question.slug == alex["question"]["slug"], Question.locale.in_(("en", "es"))
        )
    ).all()
    by_locale = {q.locale: q.text for q in english}
    assert alex["question"] == {
        "slug": alex["question"]["slug"],
        "text": by_locale["en"],
        "depth": "light",
        "category": alex["question"]["category"],
        "locale": "en",
    }
    # Spanish where the question is translated, English (per question) where it is not.
    expected_locale = "es" if "es" in by_locale else "en"
    assert sam["question"]["locale"] == expected_locale
    assert sam["question"]["text"] == by_locale[expected_locale]
    assert alex["my_answer"] is None and alex["partner_answer"] is None
    assert alex["partner_answered"] is False and alex["revealed_at"] is None
    assert alex["can_swap"] is True


def test_partners_in_different_zones_share_the_couples_day(pair, clock):
    # 02:30 in Berlin is still Sunday's couple-day (the day starts at 04:00); it is 20:30
    # the evening before in New York, where Sam is, and Sam sees the same day.
    clock.set(at(BERLIN, 2026, 3, 3, 2, 30))
    alex, sam = pair.today(pair.alex), pair.today(pair.sam)
    assert alex["local_date"] == sam["local_date"] == "2026-03-02"
    assert alex["id"] == sam["id"]
    clock.set(at(BERLIN, 2026, 3, 3, 4, 0))
    assert pair.today(pair.sam)["local_date"] == "2026-03-03"


@pytest.mark.parametrize(
    ("night", "last_minute_utc", "start_utc"),
    [
        # Spring forward: 02:00 CET -> 03:00 CEST; 04:00 local is 02:00Z.
        ("2026-03-29", datetime(2026, 3, 29, 1, 59, tzinfo=UTC), datetime(2026, 3, 29, 2, 0)),
        # Fall back: 03:00 CEST -> 02:00 CET; 04:00 local is 03:00Z.
        ("2026-10-25", datetime(2026, 10, 25, 2, 59, tzinfo=UTC), datetime(2026, 10, 25, 3, 0)),
    ],
)
def test_the_question_changes_at_day_starts_at_across_a_dst_night(
    pair, clock, night, last_minute_utc, start_utc
):
    clock.set(last_minute_utc)
    before = pair.today(pair.alex)
    clock.set(start_utc.replace(tzinfo=UTC))
    after = pair.today(pair.alex)
    new_day = datetime.fromisoformat(night).date()
    assert before["local_date"] == (new_day - timedelta(days=1)).isoformat()
    assert after["local_date"] == night
    assert after["id"] != before["id"]
    assert after["question"]["slug"] != before["question"]["slug"]


def test_the_question_is_fixed_once_chosen_and_survives_a_retirement(pair, tmp_path):
    first = pair.today(pair.alex)
    # Retire the chosen question: the day keeps it (and shows its text); new days never get it.
    source = yaml.safe_load((Path(__file__).parents[2] / "content/questions/en.yaml").read_text())
    source["questions"] = [q for q in source["questions"] if q["slug"] != first["question"]["slug"]]
    (tmp_path / "en.yaml").write_text(yaml.safe_dump(source), encoding="utf-8")
    report = import_content(db.session, load(tmp_path / "en.yaml"))
    assert report.questions.retired == 1
    again = pair.today(pair.sam)
    assert again["id"] == first["id"]
    assert again["question"]["slug"] == first["question"]["slug"]


def _small_library(tmp_path: Path, depths: list[str]) -> None:
    """Replace the library with len(depths) English questions of those depths."""
    items = [
        {"slug": f"q-{i}", "depth": d, "category": "fun", "text": f"Question {i}?"}
        for i, d in enumerate(depths)
    ]
    (tmp_path / "en.yaml").write_text(
        yaml.safe_dump({"locale": "en", "questions": items}), encoding="utf-8"
    )
    import_content(db.session, load(tmp_path / "en.yaml"))


def test_no_question_repeats_until_the_library_is_exhausted(pair, clock, tmp_path):
    _small_library(tmp_path, ["light", "deeper", "deep", "light", "deeper"])
    slugs = []
    for day in range(11):
        clock.set(START + timedelta(days=day))
        slugs.append(pair.today(pair.alex if day % 2 else pair.sam)["question"]["slug"])
    assert sorted(slugs[:5]) == [f"q-{i}" for i in range(5)]
    assert sorted(slugs[5:10]) == [f"q-{i}" for i in range(5)]
    # A new pass never opens with the question of the day before.
    assert slugs[5] != slugs[4] and slugs[10] != slugs[9]
    cycles = db.session.scalars(
        select(CoupleQuestion.cycle).order_by(CoupleQuestion.local_date)
    ).all()
    assert cycles == [1] * 5 + [2] * 5 + [3]


def test_two_couples_go_through_the_library_in_their_own_order(pair, client, clock, tmp_path):
    _small_library(tmp_path, ["light"] * 12)
    from tests.factories import CoupleFactory

    CoupleFactory(a=UserFactory(uid="bo"), b=UserFactory(uid="cy"))
    ours, theirs = [], []
    for day in range(4):
        clock.set(START + timedelta(days=day))
        ours.append(pair.today(pair.alex)["question"]["slug"])
        response = client.get("/v1/couple/questions/today", headers=auth("bo"))
        theirs.append(response.get_json()["question"]["slug"])
    assert ours != theirs


def test_depths_follow_the_week_with_the_deep_one_on_saturday(pair, clock):
    seen = {}
    for day in range(14):  # two weeks from Monday
        clock.set(START + timedelta(days=day))
        question = pair.today(pair.alex)
        seen.setdefault(day % 7, set()).add(question["question"]["depth"])
    assert seen == {weekday: {WEEK_DEPTHS[weekday]} for weekday in range(7)}
    assert WEEK_DEPTHS[5] == "deep"
    assert set(WEEK_DEPTHS) == {"light", "deeper", "deep"}


def test_an_unpaired_user_gets_404(client, library):
    UserFactory(uid="single")
    response = client.get("/v1/couple/questions/today", headers=auth("single"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_an_empty_library_is_a_404_problem(client, clock, tmp_path):
    from tests.factories import CoupleFactory

    clock.set(START)
    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    response = client.get("/v1/couple/questions/today", headers=auth("alex"))
    assert response.status_code == 404
    assert response.get_json()["title"] == "No questions"


def test_question_time_is_a_couple_setting(pair):
    couple = pair.client.get("/v1/couple", headers=pair.alex).get_json()
    assert couple["question_time"] == "19:00"
    response = pair.client.patch("/v1/couple", json={"question_time": "21:15"}, headers=pair.sam)
    assert response.status_code == 200
    assert response.get_json()["question_time"] == "21:15"
    assert pair.client.get("/v1/couple", headers=pair.alex).get_json()["question_time"] == "21:15"
    bad = pair.client.patch("/v1/couple", json={"question_time": "25:00"}, headers=pair.sam)
    assert bad.status_code == 422
    assert "question_time" in bad.get_json()["errors"]


def test_the_text_falls_back_to_english_per_question(pair, clock, tmp_path):
    items = [{"slug": "only-en", "depth": "light", "category": "fun", "text": "English only?"}]
    items.append({"slug": "both", "depth": "deeper", "category": "us", "text": "In both?"})
    (tmp_path / "en.yaml").write_text(
        yaml.safe_dump({"locale": "en", "questions": items}), encoding="utf-8"
    )
    translated = [{"slug": "both", "depth": "deeper", "category": "us", "text": "¿En los dos?"}]
    (tmp_path / "es.yaml").write_text(
        yaml.safe_dump({"locale": "es", "questions": translated}), encoding="utf-8"
    )
    import_content(db.session, load(tmp_path))
    seen = {}
    for day in range(2):  # Monday wants light (only-en), Tuesday deeper (both)
        clock.set(START + timedelta(days=day))
        sam = pair.today(pair.sam)["question"]
        seen[sam["slug"]] = (sam["locale"], sam["text"])
    assert seen == {"only-en": ("en", "English only?"), "both": ("es", "¿En los dos?")}
