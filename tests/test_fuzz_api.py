"""Schemathesis against the app's own OpenAPI spec, in-process: bad input never breaks the API.

For every operation of the live spec (GET /openapi.json of the app under test) Schemathesis
generates valid and invalid requests and sends them through WSGI, authenticated as a user who
is paired and has a ritual, a device, a message and a gratitude entry, so that the couple
endpoints are reached and not all answered 404. Path ids are half the time the world's real
ones. For each answer:

- no 5xx, ever;
- the answer conforms to the spec (status, content type, headers, body schema), and invalid
  input is rejected (Schemathesis' own checks);
- every 4xx is application/problem+json with type/title/status/detail, a 405 carries Allow and
  a 429 Retry-After;
- a 4xx changed nothing: every table is the same before and after.

Half the cases (a fair coin decided by the case) arrive as a WSGI server hands over a chunked
body (no Content-Length, `Transfer-Encoding: chunked`, a terminated stream), so every body
rule is fuzzed under both framings.

Bounded and derandomized: a fixed number of examples per operation and a fixed clock, so CI
runs the same requests every time (a red run is reproduced by running it again).
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select, text

from api import create_app
from api.config import Config
from api.content import loader
from api.content.service import import_content
from api.extensions import db
from tests.conftest import FixedClock, auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory
from tests.hardening.framing import AsChunked

EXAMPLES_PER_OPERATION = 20
PROBLEM_KEYS = {"type", "title", "status", "detail"}
CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
# Written by `flask content import`, never by a request: left in place between worlds.
CONTENT_TABLES = {"affirmations", "ritual_templates", "questions"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


def _live_spec_app() -> Flask:
    """An app of the code under test, only to serve its spec (it touches no database)."""
    config = Config.from_env(
        {}, APP_ENV="test", DATABASE_URL="sqlite://", AUTH_MODE="dev", PUSH_BACKEND="log"
    )
    return create_app(config)


# Read at import, so each operation is its own test (xdist spreads them); the requests go to the
# `app` fixture's app, on the test database. (The Hypothesis tests are built here from
# `as_strategy`, the public API: Schemathesis' own pytest collector names every item alike
# under pytest 9, which breaks xdist.)
schema = schemathesis.openapi.from_wsgi("/openapi.json", _live_spec_app())
OPERATIONS = {op.ok().label: op.ok() for op in schema.get_all_operations()}


@dataclass
class World:
    """The fuzzing user's world; rebuilt whenever a request (DELETE /v1/me...) ended it."""

    app: Flask
    ids: dict[str, int]

    def ensure(self) -> None:
        """Rebuild the world unless everything in it is still there and usable."""
        if not self._intact():
            db.session.remove()
            _empty_user_tables()
            self.ids = _build_world(self.app)
        db.session.remove()

    def _intact(self) -> bool:
        if not self.ids:
            return False
        row = db.session.execute(
            text(
                "SELECT (SELECT couple_id FROM users WHERE uid = 'fuzz-alex'),"
                " (SELECT count(*) FROM couples WHERE id = :couple AND unpaired_at IS NULL),"
                " (SELECT count(*) FROM rituals WHERE id = :ritual AND deleted_at IS NULL),"
                " (SELECT count(*) FROM affirmation_messages WHERE id = :message),"
                " (SELECT count(*) FROM gratitude_entries WHERE id = :entry),"
                " (SELECT count(*) FROM devices WHERE id = :device),"
                " (SELECT count(*) FROM memories WHERE id = :memory),"
                " (SELECT count(*) FROM memory_photos WHERE id = :photo),"
                " (SELECT count(*) FROM couple_questions WHERE id = :question)"
            ),
            self.ids,
        ).one()
        return row[0] == self.ids["couple"] and all(row[1:])


def _empty_user_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in CONTENT_TABLES]
    with db.engine.begin() as conn:
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))


def _build_world(app: Flask) -> dict[str, int]:
    """Alex (the fuzzing user) paired with Sam, a ritual, a device, a message, an entry."""
    alex = UserFactory(uid="fuzz-alex", display_name="Alex", timezone="Europe/Berlin")
    sam = UserFactory(uid="fuzz-sam", display_name="Sam", timezone="Europe/Berlin")
    couple = CoupleFactory(a=alex, b=sam)
    ritual = RitualFactory(couple=couple, created_by_id=alex.id)
    client = app.test_client()
    device = client.post(
        "/v1/devices", json={"token": "fuzz-token-" + "x" * 40, "platform": "ios"}, **_as("alex")
    )
    message = client.post(
        "/v1/couple/affirmations",
        json={"text": "You make mornings good.", "client_id": str(uuid.uuid4())},
        **_as("sam"),
    )
    entry = client.post(
        "/v1/couple/gratitude",
        json={"text": "The coffee.", "client_id": str(uuid.uuid4())},
        **_as("alex"),
    )
    memory = client.post(
        "/v1/couple/memories",
        json={"title": "The lake", "happened_on": "2025-07-01", "client_id": str(uuid.uuid4())},
        **_as("alex"),
    )
    assert memory.status_code == 201, memory.get_json()
    photo = client.post(
        f"/v1/couple/memories/{memory.get_json()['id']}/photos",
        json={"content_type": "image/jpeg", "size_bytes": 1000},
        **_as("alex"),
    )
    question = client.get("/v1/couple/questions/today", **_as("sam"))
    for response in (device, message, entry, photo):
        assert response.status_code == 201, response.get_json()
    assert question.status_code == 200, question.get_json()
    return {
        "couple": couple.id,
        "ritual": ritual.id,
        "device": device.get_json()["id"],
        "message": message.get_json()["id"],
        "entry": entry.get_json()["id"],
        "memory": memory.get_json()["id"],
        "photo": photo.get_json()["id"],
        "question": question.get_json()["id"],
    }


def _as(name: str) -> dict[str, Any]:
    return {"headers": auth(f"fuzz-{name}")}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as plain values."""
    out = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        out[table.name] = [
            tuple(row) for row in db.session.execute(select(table).order_by(*order)).all()
        ]
    db.session.remove()
    return out


@pytest.fixture
def world(app: Flask, clock: FixedClock) -> World:
    # A Monday morning in Berlin: today and yesterday are scheduled days of the ritual.
    clock.set(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    import_content(db.session, loader.load(CONTENT_DIR))
    built = World(app=app, ids={})
    built.ensure()
    return built


def _coin(values: dict[str, Any]) -> bool:
    """A fair coin decided by the generated values: the same case always lands the same way."""
    return zlib.crc32(repr(sorted(values.items())).encode()) % 2 == 0


PATH_IDS = {
    "ritual_id": "ritual",
    "device_id": "device",
    "message_id": "message",
    "entry_id": "entry",
    "memory_id": "memory",
    "photo_id": "photo",
    "question_id": "question",
}
HEADERS = auth("fuzz-alex")
PATH, QUERY, BODY = ParameterLocation.PATH, ParameterLocation.QUERY, ParameterLocation.BODY


def _strategy(operation: Any) -> st.SearchStrategy[Any]:
    """Valid and invalid requests for one operation, half and half."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_bad_input_gets_a_problem_and_changes_nothing(label: str, world: World, app: Flask) -> None:
    operation = OPERATIONS[label]
    declared_query = {
        p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "query"
    }

    @given(case=_strategy(operation))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing case is printed
    )
    def one_request(case: Any) -> None:
        world.ensure()
        meta = case.meta
        if case.path_parameters and not meta.is_negative_at(PATH) and _coin(case.path_parameters):
            for name, key in PATH_IDS.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = world.ids[key]
        unknown_query = set(case.query or {}) - declared_query
        if case.query:
            # Unknown query parameters are ignored by design (webargs EXCLUDE): take them out,
            # so that a case is "invalid" only for what the API does promise to reject.
            for name in unknown_query:
                del case.query[name]
        checks = CHECKS
        # A query made negative by its unknown names alone is valid once they are taken out.
        query_negative = meta.is_negative_at(QUERY) and not unknown_query
        if not (meta.is_negative_at(PATH) or query_negative or meta.is_negative_at(BODY)):
            # The only invalid part was a header, and the one header is our Authorization.
            checks = [check for check in CHECKS if check is not negative_data_rejection]
        before = snapshot()
        chunked = _coin({"method": case.method, "body": repr(case.body), "framing": "chunked"})
        transport = {"app": AsChunked(app) if chunked else app, "headers": HEADERS}
        response = case.call(**transport)
        check_problem(
            response, f"{case.method} {case.formatted_path} ({'chunked' if chunked else 'sized'})"
        )
        if 400 <= response.status_code < 500:
            after = snapshot()
            changed = sorted(name for name in before if before[name] != after[name])
            assert not changed, (
                f"{case.method} {case.formatted_path} answered {response.status_code} "
                f"but changed {changed}: {case!r}"
            )
        case.validate_response(response, checks=checks, headers=HEADERS, transport_kwargs=transport)

    one_request()


def check_problem(response: Any, what: str) -> None:
    """Every error is a problem+json document; 405 names Allow, 429 Retry-After."""
    status = response.status_code
    assert status < 500, f"{what}: {status} {response.content[:500]!r}"
    if status < 400:
        return
    assert response.headers.get("content-type") == ["application/problem+json"], (
        f"{what}: {status} answered {response.headers.get('content-type')}"
    )
    body = response.json()
    assert isinstance(body, dict) and body.keys() >= PROBLEM_KEYS, f"{what}: {body}"
    assert body["status"] == status, f"{what}: {body}"
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], f"{what}: {key} in {body}"
    if status == 405:
        assert response.headers.get("allow"), f"{what}: 405 without Allow"
    if status == 429:
        assert response.headers.get("retry-after"), f"{what}: 429 without Retry-After"


UNSUPPORTED = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.mark.parametrize("path", sorted({op.path for op in OPERATIONS.values()}))
def test_an_undeclared_method_is_a_405_problem_with_allow(path: str, world: World, app: Flask):
    declared = {op.method.upper() for op in OPERATIONS.values() if op.path == path}
    concrete = path
    for name, key in PATH_IDS.items():
        concrete = concrete.replace("{" + name + "}", str(world.ids[key]))
    concrete = concrete.replace("{week}", "2026-W10")  # /v1/couple/recaps/{week}: a week label
    client = app.test_client()
    for method in UNSUPPORTED:
        if method in declared:
            continue
        before = snapshot()
        response = client.open(concrete, method=method, json={"any": 1}, headers=HEADERS)
        assert response.status_code == 405, f"{method} {concrete}: {response.status_code}"
        assert response.content_type == "application/problem+json"
        assert set(response.headers["Allow"].replace(" ", "").split(",")) >= declared
        assert response.get_json()["status"] == 405
        assert snapshot() == before
