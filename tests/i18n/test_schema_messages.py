"""Every message a request schema of the spec can answer in errors is in the reader's language,
its numbers and choices with it.

marshmallow formats its messages in English before Hearth sees them: "Length must be between 1
and 80." stayed English in a Spanish 422, as did every Range, OneOf and Length message. The
walk below reaches every field and validator of every request schema of the app, makes each
validator fail, and renders what it said in every language: a validator or field added later
with a message the catalogs lack fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from babel.numbers import format_decimal
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from api.schema_messages import PARAMETERISED, render
from tests.conftest import auth
from tests.factories import UserFactory
from tests.i18n.test_coverage import SHIPPED

# Keys of a field's messages that no request can meet: "format" is said only when writing a
# response, "invalid_awareness" only by the naive and aware datetimes (which have AWARENESS).
NOT_ON_LOAD = {"format"}
# Values that make validators fail: empty and huge texts and lists, numbers beyond any bound,
# a choice nobody offers.
PROBES: list[Any] = ["", "\x00", "x" * 100_000, [], ["\x00"] * 100_000, -(10**30), 10**30, 0]


def _fields(schema: Schema) -> Iterator[fields.Field]:
    for field in schema.fields.values():
        yield from _field_tree(field)


def _field_tree(field: fields.Field) -> Iterator[fields.Field]:
    yield field
    if isinstance(field, fields.Nested):
        yield from _fields(field.schema)
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if inner is not None:
            yield from _field_tree(inner)


def request_schemas() -> list[Schema]:
    """Every schema a route of the app parses a request with (body, query, path, ...)."""
    found: dict[int, Schema] = {}
    for rule in current_app.url_map.iter_rules():
        view_class = getattr(current_app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower(), None)
            arguments = getattr(handler, "_apidoc", {}).get("arguments", {})
            for parameter in arguments.get("parameters", []):
                schema = parameter["schema"]
                schema = schema() if isinstance(schema, type) else schema
                found[id(schema)] = schema
    return list(found.values())


def emitted(validator: Any) -> list[str]:
    """What the validator says about each probe it refuses."""
    said = []
    for probe in PROBES:
        try:
            validator(probe)
        except ValidationError as error:
            said += error.messages if isinstance(error.messages, list) else [str(error.messages)]
        except TypeError:
            pass  # a probe of the wrong type for it (a number's bound and a text)
    return said


def _validators(app: Any) -> list[Any]:
    with app.app_context():
        found = {
            repr(v): v
            for schema in request_schemas()
            for field in _fields(schema)
            for v in field.validators
        }
    return list(found.values())


def _fixed_messages(app: Any) -> set[str]:
    with app.app_context():
        schemas = request_schemas()
        messages = {m for schema in schemas for m in schema.error_messages.values()}
        for schema in schemas:
            for field in _fields(schema):
                for key, message in field.error_messages.items():
                    if key == "invalid_awareness" and hasattr(field, "AWARENESS"):
                        message = message.format(awareness=field.AWARENESS, obj_type=field.OBJ_TYPE)
                    elif key in NOT_ON_LOAD or key == "invalid_awareness":
                        continue
                    messages.add(message)
    return messages


def test_the_walk_reaches_the_schemas_and_their_validators(app: Any) -> None:
    kinds = {type(v) for v in _validators(app)}
    assert {validate.Length, validate.Range, validate.OneOf, validate.Regexp} <= kinds
    assert "Unknown field." in _fixed_messages(app)


@pytest.mark.parametrize("language", SHIPPED)
def test_every_field_and_schema_message_is_translated(app: Any, language: str) -> None:
    english = [m for m in _fixed_messages(app) if render(language, m) == m]
    assert not english, f"{language} lacks: {english}"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_validator_message_is_translated_with_its_parameters(app: Any, language: str) -> None:
    for validator in _validators(app):
        said = emitted(validator)
        assert said, f"no probe makes {validator!r} fail: add one to PROBES"
        for message in said:
            shown = render(language, message)
            assert shown != message, (language, validator, message)
            for bound in ("min", "max", "equal"):
                value = getattr(validator, bound, None)
                if value is not None and str(value) in message:
                    assert format_decimal(value, locale=language) in shown, (shown, validator)
            for choice in getattr(validator, "choices", ()):
                assert str(choice) in shown, (shown, validator)


@pytest.mark.parametrize("template", sorted(PARAMETERISED))
def test_each_template_is_recognised_once_formatted(template: str) -> None:
    """What marshmallow formats from each template is matched back, whatever its values."""
    message = template.format(min=3, max=1200, equal=7, choices="a, b", other="x", values="y")
    shown = render("de", message)
    assert shown != message
    assert "1200" not in shown or "1.200" in shown


def test_a_spanish_reader_reads_the_length_in_spanish(client: Any) -> None:
    UserFactory(uid="lucia", locale="es")
    answer = client.patch("/v1/me", json={"display_name": ""}, headers=auth("lucia"))
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"display_name": ["La longitud debe estar entre 1 y 80."]}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Muss größer oder gleich 1 und kleiner oder gleich 10.485.760 sein."),
        ("pt", "Deve ser maior ou igual a 1 e menor ou igual a 10.485.760."),
        ("fr", "Doit être supérieur ou égal à 1 et inférieur ou égal à 10\u202f485\u202f760."),
        ("en", "Must be greater than or equal to 1 and less than or equal to 10,485,760."),
    ],
)
def test_a_bound_is_written_the_readers_way(language: str, expected: str) -> None:
    message = validate.Range(min=1, max=10_485_760)
    with pytest.raises(ValidationError) as refused:
        message(0)
    assert render(language, refused.value.messages[0]) == expected


def test_choices_are_listed_as_the_client_sends_them() -> None:
    with pytest.raises(ValidationError) as refused:
        validate.OneOf(("ios", "android", "web"))("blackberry")
    assert render("it", refused.value.messages[0]) == "Deve essere uno tra: ios, android, web."
