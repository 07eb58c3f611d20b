"""The content loader: the shipped files are valid, and every kind of bad file is named."""

from collections import Counter
from datetime import time
from pathlib import Path

import pytest

from api.content.loader import (
    AFFIRMATION_CATEGORIES,
    ContentError,
    load,
    render_affirmations,
    render_templates,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"

EN_HEAD = "locale: en\naffirmations:\n"
TPL_OK = """ritual_templates:
  - key: six-second-kiss
    title: Six-second kiss
    description: Kiss for six seconds.
    schedule: {days: [mon, sun], time: "18:30"}
    completion: either
    reminder: {enabled: true, minutes_before: 10}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def test_shipped_library_is_valid_and_large_enough():
    content = load(CONTENT)
    per_locale = Counter(a.locale for a in content.affirmations)
    assert per_locale["en"] >= 120
    assert per_locale["es"] >= 40
    en_categories = Counter(a.category for a in content.affirmations if a.locale == "en")
    assert set(en_categories) == set(AFFIRMATION_CATEGORIES)
    assert min(en_categories.values()) >= 18
    assert content.locales == {"en", "es"}
    # No filler: no text appears twice in a locale.
    texts = Counter((a.locale, a.text.casefold()) for a in content.affirmations)
    assert [t for t, n in texts.items() if n > 1] == []


def test_shipped_templates_include_the_contract_rituals():
    templates = {t.key: t for t in load(CONTENT / "ritual_templates.yaml").templates}
    assert len(templates) >= 6
    kiss = templates["six-second-kiss"]
    assert (len(kiss.days), kiss.time, kiss.completion) == (7, time(18, 30), "either")
    coffee = templates["morning-coffee"]
    assert coffee.days == ("mon", "tue", "wed", "thu", "fri")
    assert (coffee.time, coffee.completion) == (time(7, 30), "both")
    check_in = templates["weekly-check-in"]
    assert (check_in.days, check_in.time, check_in.completion) == (("sun",), time(19, 0), "both")
    hour = templates["device-free-hour"]
    assert (len(hour.days), hour.time, hour.completion) == (7, time(20, 0), "either")
    assert {"gratitude-exchange", "remember-when"} <= set(templates)


def test_single_file_covers_only_its_own_locale(tmp_path):
    path = write(
        tmp_path,
        "es.yaml",
        "locale: es\naffirmations:\n  - {slug: a, category: love, text: Hola}\n",
    )
    content = load(path)
    assert content.locales == {"es"}
    assert not content.has_templates
    assert content.affirmations[0].locale == "es"


def test_text_is_stripped_and_days_are_put_in_week_order(tmp_path):
    path = write(
        tmp_path,
        "t.yaml",
        TPL_OK.replace("[mon, sun]", "[sun, mon]").replace(
            "description: Kiss", "description: >-\n      Kiss"
        ),
    )
    (tpl,) = load(path).templates
    assert tpl.days == ("mon", "sun")
    assert tpl.description == "Kiss for six seconds."


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("{slug: Bad_Slug, category: love, text: Hi}", "item 'Bad_Slug': slug: must be lowercase"),
        ("{slug: ok, category: romance, text: Hi}", "item 'ok': category: must be one of"),
        ("{slug: ok, category: love, text: ''}", "item 'ok': text: must be 1-500 characters"),
        ("{slug: ok, category: love, text: '   '}", "item 'ok': text: must be 1-500 characters"),
        ("{slug: ok, category: love, text: " + "x" * 501 + "}", "item 'ok': text: must be 1-500"),
        ("{slug: ok, category: love, text: 12}", "item 'ok': text: must be a string"),
        ("{slug: ok, category: love}", "item 'ok': text: required"),
        ("{category: love, text: Hi}", "item #1: slug: required"),
        ("{slug: ok, category: love, text: Hi, mood: warm}", "item 'ok': mood: unknown field"),
        ("just a string", "item #1: must be a mapping"),
        ("{slug: ok, category: love, text: Hi, text: Ho}", "duplicate key 'text'"),
    ],
)
def test_bad_affirmation_is_named_by_file_item_and_field(tmp_path, item, expected):
    path = write(tmp_path, "en.yaml", EN_HEAD + f"  - {item}\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: ")
    assert expected in problem


def test_text_of_exactly_500_characters_is_accepted(tmp_path):
    path = write(
        tmp_path, "en.yaml", EN_HEAD + "  - {slug: ok, category: love, text: " + "x" * 500 + "}\n"
    )
    assert len(load(path).affirmations[0].text) == 500


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('time: "18:30"', "time: 18:30", 'schedule.time: must be a quoted "HH:MM" string'),
        ('time: "18:30"', 'time: "24:00"', 'schedule.time: must be a 24-hour "HH:MM" time'),
        ('time: "18:30"', 'time: "6:30"', 'schedule.time: must be a 24-hour "HH:MM" time'),
        ("[mon, sun]", "[mon, funday]", "schedule.days: unknown day 'funday'"),
        ("[mon, sun]", "[mon, mon]", "schedule.days: a day is listed twice"),
        ("[mon, sun]", "[]", "schedule.days: must be a non-empty list"),
        ("completion: either", "completion: one", "completion: must be one of either, both"),
        ("enabled: true", "enabled: maybe", "reminder.enabled: must be true or false"),
        ("minutes_before: 10", "minutes_before: -5", "reminder.minutes_before: must be a whole"),
        ("minutes_before: 10", "minutes_before: 1441", "reminder.minutes_before: must be a whole"),
        ("title: Six-second kiss", "title: ''", "title: must be 1-120 characters"),
        ("key: six-second-kiss", "key: six--second", "key: must be lowercase letters"),
        ('"18:30"}', '"18:30", every: week}', "schedule.every: unknown field"),
    ],
)
def test_bad_template_is_named_by_file_item_and_field(tmp_path, old, new, expected):
    assert old in TPL_OK
    path = write(tmp_path, "templates.yaml", TPL_OK.replace(old, new))
    (problem,) = problems_of(path)
    label = "item 'six--second'" if "six--second" in new else "item 'six-second-kiss'"
    assert problem.startswith(f"{path}: {label}: {expected}")


def test_file_level_problems(tmp_path):
    assert problems_of(write(tmp_path, "a.yaml", "locale: xx\naffirmations: []\n")) == [
        f"{tmp_path / 'a.yaml'}: locale: must be one of en, es, de, fr, it, pt"
    ]
    assert problems_of(write(tmp_path, "b.yaml", "affirmations: []\n")) == [
        f"{tmp_path / 'b.yaml'}: locale: required"
    ]
    assert "needs a top-level" in problems_of(write(tmp_path, "c.yaml", "items: []\n"))[0]
    assert "invalid YAML" in problems_of(write(tmp_path, "d.yaml", "locale: en\n  - : [\n"))[0]
    assert "line " in problems_of(tmp_path / "d.yaml")[0]
    assert problems_of(tmp_path / "missing.yaml") == [f"{tmp_path / 'missing.yaml'}: no such file"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no .yaml or .yml files" in problems_of(empty)[0]


def test_cross_file_rules(tmp_path):
    write(
        tmp_path,
        "content/affirmations/en.yaml",
        EN_HEAD
        + "  - {slug: hug, category: love, text: Hug}\n"
        + "  - {slug: hug, category: love, text: Hug 2}\n",
    )
    write(
        tmp_path,
        "content/affirmations/es.yaml",
        "locale: es\naffirmations:\n"
        "  - {slug: hug, category: playful, text: Abrazo}\n"
        "  - {slug: kiss, category: love, text: Beso}\n",
    )
    en = tmp_path / "content/affirmations/en.yaml"
    es = tmp_path / "content/affirmations/es.yaml"
    assert sorted(problems_of(tmp_path / "content")) == sorted(
        [
            f"{en}: item 'hug': slug: duplicate slug (already used earlier in this file)",
            f"{es}: item 'hug': category: is 'playful' but 'love' in locale 'en'"
            " (a slug has one category in every locale)",
            f"{es}: item 'kiss': slug: no 'en' affirmation has this slug"
            " (a translation needs its English original)",
        ]
    )


def test_every_problem_of_every_file_is_listed_at_once(tmp_path):
    write(tmp_path, "c/affirmations/en.yaml", EN_HEAD + "  - {slug: A, category: x, text: ''}\n")
    write(tmp_path, "c/ritual_templates.yaml", TPL_OK.replace("either", "neither"))
    problems = problems_of(tmp_path / "c")
    assert len(problems) == 4
    assert {p.split(": ")[0] for p in problems} == {
        str(tmp_path / "c/affirmations/en.yaml"),
        str(tmp_path / "c/ritual_templates.yaml"),
    }


def test_rendered_files_load_back_to_the_same_items(tmp_path):
    content = load(CONTENT)
    for locale in content.locales:
        write(
            tmp_path,
            f"affirmations/{locale}.yaml",
            render_affirmations(locale, content.affirmations),
        )
    write(tmp_path, "ritual_templates.yaml", render_templates(content.templates))
    again = load(tmp_path)
    assert sorted(again.affirmations, key=repr) == sorted(content.affirmations, key=repr)
    assert again.templates == content.templates
    assert (again.locales, again.has_templates) == (content.locales, content.has_templates)


def test_a_bad_english_item_is_one_problem_not_two(tmp_path):
    write(tmp_path, "c/en.yaml", EN_HEAD + "  - {slug: hug, category: love, text: ''}\n")
    write(
        tmp_path,
        "c/es.yaml",
        "locale: es\naffirmations:\n  - {slug: hug, category: love, text: Abrazo}\n",
    )
    assert problems_of(tmp_path / "c") == [
        f"{tmp_path / 'c/en.yaml'}: item 'hug': text: must be 1-500 characters"
    ]


def test_translation_without_english_original_is_caught_even_in_an_empty_english_file(tmp_path):
    write(tmp_path, "c/en.yaml", EN_HEAD)
    write(
        tmp_path,
        "c/es.yaml",
        "locale: es\naffirmations:\n  - {slug: hug, category: love, text: Abrazo}\n",
    )
    (problem,) = problems_of(tmp_path / "c")
    assert "item 'hug': slug: no 'en' affirmation has this slug" in problem


def test_a_slug_or_time_with_a_trailing_newline_is_refused(tmp_path):
    """A block scalar (`slug: |`) ends in a newline; `$` matched before it, so "ok\\n" passed."""
    path = write(
        tmp_path, "en.yaml", EN_HEAD + "  - slug: |\n      ok\n    category: love\n    text: Hi\n"
    )
    (problem,) = problems_of(path)
    assert "slug: must be lowercase" in problem
    path = write(tmp_path, "t.yaml", TPL_OK.replace('time: "18:30"', 'time: "18:30\\n"'))
    (problem,) = problems_of(path)
    assert "schedule.time" in problem
