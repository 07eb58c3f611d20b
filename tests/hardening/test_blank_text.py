"""Text a person writes is refused when it shows nothing (API.md: "Text of only whitespace or
invisible characters → 422"), whatever invisible characters it is made of.

Trimmed with str.strip() alone, a zero-width space, a BOM, a bidi mark, a word joiner or a
Hangul or Braille blank passed as text, and the partner saw an empty entry. A ritual's title
and a display name were plain strings: "   " or a lone bidi mark became the title or the name
in every push about them. Every text field of every request body is now api.fields.Trimmed,
which the walk below checks for fields added later.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, validate

from api.fields import TimeZone, Trimmed, strip_blank
from api.users.schemas import LocaleTag
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory

# Each shows nothing; written out here rather than derived from the code under test.
BLANKS = [
    "\u200b\u200b",  # zero-width spaces
    "\u00a0\u2060",  # no-break space, word joiner
    "\ufeff\u200e",  # BOM, left-to-right mark
    "\u2800",  # Braille blank
    "\u115f\u3164",  # Hangul fillers
    " \t\u3000\n",  # ordinary and ideographic whitespace
    "\u200f",  # a lone right-to-left mark
]
SCHEDULE = {"days": ["mon", "wed"], "time": "07:30"}


def _bodies(text: str) -> list[tuple[str, dict[str, Any], str]]:
    client_id = str(uuid.uuid4())
    return [
        ("/v1/couple/gratitude", {"text": text, "client_id": client_id}, "text"),
        ("/v1/couple/affirmations", {"text": text, "client_id": client_id}, "text"),
        (
            "/v1/couple/memories",
            {"title": text, "happened_on": "2024-06-01", "client_id": client_id},
            "title",
        ),
        (
            "/v1/couple/rituals",
            {"title": text, "schedule": SCHEDULE, "client_id": client_id},
            "title",
        ),
        ("/v1/couple/moods", {"mood": 3, "note": text, "client_id": client_id}, "note"),
    ]


@pytest.fixture
def couple(client: Any) -> Any:
    return CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))


@pytest.mark.parametrize("blank", BLANKS)
def test_text_that_shows_nothing_is_a_422(client: Any, couple: Any, blank: str) -> None:
    for path, body, field in _bodies(blank):
        answer = client.post(path, json=body, headers=auth("alex"))
        assert answer.status_code == 422, (path, repr(blank), answer.get_json())
        assert field in answer.get_json()["errors"]


def test_invisible_characters_inside_the_text_stay(client: Any, couple: Any) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # joined by zero-width joiners
    body = {"text": f"\u200b thank you {family}\ufeff", "client_id": str(uuid.uuid4())}
    answer = client.post("/v1/couple/gratitude", json=body, headers=auth("alex"))
    assert answer.status_code == 201
    assert answer.get_json()["text"] == f"thank you {family}"


@pytest.mark.parametrize("blank", BLANKS)
def test_an_edit_to_text_that_shows_nothing_is_a_422(client: Any, couple: Any, blank: str) -> None:
    memory = client.post(
        "/v1/couple/memories",
        json={"title": "Lisbon", "happened_on": "2024-06-01", "client_id": str(uuid.uuid4())},
        headers=auth("alex"),
    ).get_json()
    edits = [
        (f"/v1/couple/rituals/{RitualFactory(couple=couple).id}", "title"),
        (f"/v1/couple/memories/{memory['id']}", "title"),
        ("/v1/me", "display_name"),
    ]
    for path, field in edits:
        answer = client.patch(path, json={field: blank}, headers=auth("alex"))
        assert answer.status_code == 422, (path, repr(blank), answer.get_json())
        assert field in answer.get_json()["errors"]


def test_a_blank_optional_text_is_stored_empty(client: Any, couple: Any) -> None:
    """An optional text (a ritual's description) that shows nothing is no text at all."""
    body = {"title": "Coffee", "description": "\u200b ", "schedule": SCHEDULE}
    answer = client.post(
        "/v1/couple/rituals", json=body | {"client_id": str(uuid.uuid4())}, headers=auth("alex")
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["description"] == ""


# -- every text field of every request body is trimmed the one way ---------------------------

# Strings of request bodies that no person reads as a text: identifiers, codes and tokens,
# each checked in its own way (an enum's OneOf, a zone or locale field, the emoji package).
NOT_TEXT = {
    ("DeviceInSchema", "token"),
    ("DeviceInSchema", "app_version"),
    ("RitualCreateSchema", "template_key"),
    ("ReactionSchema", "emoji"),
    ("JoinSchema", "code"),
    ("MoodCreateSchema", "needs[]"),  # slugs of the needs vocabulary
}


def _strings(schema: Schema, prefix: str = "") -> Iterator[tuple[str, fields.Field]]:
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        suffix = "[]" if isinstance(field, fields.List) else ""
        if isinstance(inner, fields.Nested):
            yield from _strings(inner.schema, f"{prefix}{name}{suffix}.")
        elif isinstance(inner, fields.String):
            yield f"{prefix}{name}{suffix}", inner


def _request_body_strings() -> list[tuple[str, str, fields.Field]]:
    from flask import current_app

    found = {}
    for rule in current_app.url_map.iter_rules():
        view_class = getattr(current_app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower(), None)
            arguments = getattr(handler, "_apidoc", {}).get("arguments", {})
            for parameter in arguments.get("parameters", []):
                if parameter.get("in") != "json":
                    continue
                schema = parameter["schema"]
                schema = schema() if isinstance(schema, type) else schema
                for name, field in _strings(schema):
                    found[(type(schema).__name__, name)] = field
    return [(schema, name, field) for (schema, name), field in sorted(found.items())]


def _is_text(schema: str, name: str, field: fields.Field) -> bool:
    """Whether a request's string field holds text a person wrote for someone to read."""
    if isinstance(field, (TimeZone, LocaleTag)) or (schema, name) in NOT_TEXT:
        return False
    return not any(isinstance(v, validate.OneOf) for v in field.validators)


def test_every_text_field_of_a_request_body_is_trimmed(app: Any) -> None:
    strings = _request_body_strings()
    texts = [(s, n) for s, n, f in strings if _is_text(s, n, f)]
    # The walk reached the bodies: the fields this test was written for are among them.
    assert {("RitualPatchSchema", "title"), ("MePatchSchema", "display_name")} <= set(texts)
    plain = [
        f"{schema}.{name}"
        for schema, name, field in strings
        if _is_text(schema, name, field) and not isinstance(field, Trimmed)
    ]
    assert plain == [], "these take text that shows nothing: make them api.fields.Trimmed"


# -- what "invisible" means: Unicode's Default_Ignorable_Code_Point, and the fillers ---------

# Default_Ignorable_Code_Point as DerivedCoreProperties.txt lists it (Unicode 16), written out
# here as the oracle rather than read from the property the code uses.
DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
]
# The tester's characters: combining grapheme joiner, VS16, Khmer inherent vowel, Mongolian
# free variation selector, VS17, Hangul fillers, Braille blank, zero-width space.
NAMED = ["\u034f", "\ufe0f", "\u17b4", "\u180b", "\U000e0100", "\u3164", "\u115f", "\u2800"]
NAMED += ["\u200b", "\u1160", "\uffa0"]

invisible = st.one_of(
    st.sampled_from([chr(c) for lo, hi in DEFAULT_IGNORABLE for c in (lo, hi, (lo + hi) // 2)]),
    st.integers(0xE0000, 0xE0FFF).map(chr),
    st.sampled_from(" \t\n\r\u00a0\u2000\u2028\u2029\u3000\u2800"),
)
visible = st.text(st.characters(categories=["L", "N", "P", "S"], exclude_characters="\u2800"))


@settings(max_examples=300, deadline=None)
@given(st.lists(invisible, min_size=1, max_size=8).map("".join))
def test_text_of_invisible_characters_only_is_blank(blank: str) -> None:
    assert strip_blank(blank) == ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(invisible, max_size=4).map("".join),
    visible.filter(bool),
    st.lists(invisible, max_size=4).map("".join),
)
def test_visible_text_keeps_what_is_inside_it(before: str, words: str, after: str) -> None:
    assert strip_blank(before + words + after).strip() != ""
    assert words in strip_blank(before + words + after)


@pytest.mark.parametrize("blank", NAMED)
def test_each_named_invisible_character_is_a_422(client: Any, couple: Any, blank: str) -> None:
    for text in (blank, f" {blank}{blank} "):
        body = {"text": text, "client_id": str(uuid.uuid4())}
        answer = client.post("/v1/couple/gratitude", json=body, headers=auth("alex"))
        assert answer.status_code == 422, (repr(text), answer.get_json())


@pytest.mark.parametrize(
    "words",
    [
        "\u2764\ufe0f",  # red heart, emoji presentation
        "thanks \u2764\ufe0f",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family, zero-width joiners
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England
        "\u845b\U000e0100",  # an ideograph with its variation selector
    ],
)
def test_visible_text_with_invisible_characters_inside_is_kept_whole(
    client: Any, couple: Any, words: str
) -> None:
    body = {"text": f"\u200b {words}\u3164", "client_id": str(uuid.uuid4())}
    answer = client.post("/v1/couple/gratitude", json=body, headers=auth("alex"))
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["text"] == words
