"""Text a person writes is refused when it shows nothing (API.md: "Text of only whitespace or
invisible characters → 422"), whatever invisible characters it is made of.

Trimmed with str.strip() alone, a zero-width space, a BOM, a bidi mark, a word joiner or a
Hangul or Braille blank passed as text, and the partner saw an empty entry.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

# Each shows nothing; written out here rather than derived from the code under test.
BLANKS = [
    "\u200b\u200b",  # zero-width spaces
    "\u00a0\u2060",  # no-break space, word joiner
    "\ufeff\u200e",  # BOM, left-to-right mark
    "\u2800",  # Braille blank
    "\u115f\u3164",  # Hangul fillers
    " \t\u3000\n",  # ordinary and ideographic whitespace
]


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
    ]


@pytest.fixture
def couple(client: Any) -> None:
    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))


@pytest.mark.parametrize("blank", BLANKS)
def test_text_that_shows_nothing_is_a_422(client: Any, couple: None, blank: str) -> None:
    for path, body, field in _bodies(blank):
        answer = client.post(path, json=body, headers=auth("alex"))
        assert answer.status_code == 422, (path, repr(blank), answer.get_json())
        assert field in answer.get_json()["errors"]


def test_invisible_characters_inside_the_text_stay(client: Any, couple: None) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # joined by zero-width joiners
    body = {"text": f"\u200b thank you {family}\ufeff", "client_id": str(uuid.uuid4())}
    answer = client.post("/v1/couple/gratitude", json=body, headers=auth("alex"))
    assert answer.status_code == 201
    assert answer.get_json()["text"] == f"thank you {family}"
