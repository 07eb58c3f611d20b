"""Numbers in a query string or a path are ASCII digits: anything else is a 422 (query) or a
404 (path), never read as a number.

Python's int() and the \\d of regular expressions take any Unicode digit: `?limit=` with an
Arabic-Indic five paged by 5, `?limit=1_0` by 10, and /v1/couple/rituals/ with an Arabic-Indic
one was ritual 1.
"""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import fields

from api.fields import QueryInteger
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory

NOT_ASCII = [
    "\u0665",  # ARABIC-INDIC DIGIT FIVE
    "\uff15",  # FULLWIDTH DIGIT FIVE
    "1_0",
    " 5",
    "5 ",
    "+5",
]


@pytest.fixture
def couple(client: Any) -> Any:
    return CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))


@pytest.mark.parametrize("value", NOT_ASCII)
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/notifications", "limit"),
        ("/v1/couple/gratitude", "limit"),
        ("/v1/couple/moods", "limit"),
        ("/v1/couple/moods/summary", "weeks"),
    ],
)
def test_a_query_number_in_other_digits_is_a_422(
    client: Any, couple: Any, path: str, name: str, value: str
) -> None:
    answer = client.get(path, query_string={name: value}, headers=auth("alex"))
    assert answer.status_code == 422, (path, repr(value), answer.get_json())
    assert list(answer.get_json()["errors"]) == [name]
    assert client.get(path, query_string={name: "5"}, headers=auth("alex")).status_code == 200


# The zero of each kind of digit: Arabic-Indic, full-width, Devanagari.
@pytest.mark.parametrize("zero", ["\u0660", "\uff10", "\u0966"])
def test_a_path_id_in_other_digits_matches_no_route(client: Any, couple: Any, zero: str) -> None:
    ritual = RitualFactory(couple=couple)
    other = "".join(chr(ord(zero) + int(d)) for d in str(ritual.id))
    assert client.get(f"/v1/couple/rituals/{ritual.id}", headers=auth("alex")).status_code == 200
    assert client.get(f"/v1/couple/rituals/{other}", headers=auth("alex")).status_code == 404
    week = "".join(chr(ord(zero) + int(d)) for d in "2026")
    answer = client.get(f"/v1/couple/recaps/{week}-W10", headers=auth("alex"))
    assert answer.status_code == 404


def test_every_query_integer_reads_ascii_digits_only(app: Any) -> None:
    """Walks the query schemas, so a number added to a query later is covered too."""
    integers = []
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower(), None)
            arguments = getattr(handler, "_apidoc", {}).get("arguments", {})
            for parameter in arguments.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                schema = parameter["schema"]
                schema = schema() if isinstance(schema, type) else schema
                integers += [
                    (type(schema).__name__, name, field)
                    for name, field in schema.fields.items()
                    if isinstance(field, fields.Integer)
                ]
    assert {name for _, name, _ in integers} >= {"limit", "weeks"}
    plain = [f"{s}.{n}" for s, n, f in integers if not isinstance(f, QueryInteger)]
    assert plain == [], "query numbers must be api.fields.QueryInteger"
