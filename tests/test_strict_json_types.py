"""JSON bodies take JSON's own types: "4" is not a number, 1 or "yes" not a boolean.

marshmallow's Integer takes "4" and 4.0 and its Boolean takes "yes", 1 and "on" unless told
otherwise; a mobile client sending a string would then be understood by this server and no
other. Every number and boolean of every request body is strict; query parameters, which
are text by nature, are not concerned.
"""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema, fields

from api import create_app
from api.fields import CalendarDay, JsonBoolean
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory
from tests.view_arguments import view_arguments


def _fields(schema: Schema, path: str = "") -> list[tuple[str, fields.Field]]:
    found = []
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            nested = inner.schema
            found += _fields(nested, f"{path}{name}.")
        else:
            found.append((f"{path}{name}", inner))
    return found


def body_schemas(locations: tuple[str, ...] = ("json",)) -> dict[str, Schema]:
    """Every request body's schema (or of the locations given), by the view that reads it."""
    found = {}
    for where, argument in view_arguments(create_app()):
        if argument.get("in") in locations:
            schema = argument["schema"]
            found[where] = schema() if isinstance(schema, type) else schema
    return found


def test_every_number_and_boolean_of_a_request_body_is_strict():
    loose = []
    for where, schema in body_schemas().items():
        for name, field in _fields(schema):
            if isinstance(field, fields.Number) and not field.strict:
                loose.append(f"{where}: {name} takes numbers as strings")
            if isinstance(field, fields.Boolean) and not isinstance(field, JsonBoolean):
                loose.append(f"{where}: {name} takes strings and numbers as booleans")
    assert body_schemas(), "no body schema found: the walk is broken"
    assert not loose, loose


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/v1/couple/moods",
            {"mood": "4", "client_id": "5f0c2a1e-8d5b-4c1e-9a7e-2b3c4d5e6f70"},
            "mood",
        ),
        (
            "POST",
            "/v1/couple/moods",
            {"mood": 4.0, "client_id": "5f0c2a1e-8d5b-4c1e-9a7e-2b3c4d5e6f71"},
            "mood",
        ),
        ("PATCH", "/v1/me", {"notification_preferences": {"moods": 1}}, "notification_preferences"),
        (
            "PATCH",
            "/v1/me",
            {"notification_preferences": {"moods": "off"}},
            "notification_preferences",
        ),
    ],
)
def test_strings_and_numbers_are_not_taken_for_other_types(
    client: Any, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    answer = client.open(path, method=method, json=body, headers=auth("alex"))
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]


def test_every_calendar_day_an_endpoint_reads_is_yyyy_mm_dd_only():
    loose = [
        f"{where}: {name}"
        for where, schema in body_schemas(("json", "query")).items()
        for name, field in _fields(schema)
        if isinstance(field, fields.Date) and not isinstance(field, CalendarDay)
    ]
    assert not loose, loose


@pytest.mark.parametrize("day", ["20260304", "2026-W10-3", "2026-3-4", 20260304])
def test_other_iso_forms_of_a_day_are_a_422(client: Any, day: Any) -> None:
    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    answer = client.patch("/v1/couple", json={"anniversary": day}, headers=auth("alex"))
    assert answer.status_code == 422, answer.get_json()
    assert "anniversary" in answer.get_json()["errors"]
    by_query = client.get(f"/v1/couple/moods?from={day}", headers=auth("alex"))
    assert (by_query.status_code, list(by_query.get_json()["errors"])) == (422, ["from"])
