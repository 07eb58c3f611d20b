"""The spec as client generators need it (api/openapi.py), for every route present or future."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.openapi import finish, operation_id

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def spec(app) -> dict:
    return app.test_client().get("/openapi.json").get_json()


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _schema_of(spec: dict, node: dict) -> dict:
    ref = node.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else node


def _response(spec: dict, response: dict) -> dict:
    ref = response.get("$ref")
    return spec["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else response


def test_every_operation_has_a_unique_readable_operation_id(spec):
    ids = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)+", i) for i in ids), ids
    by_route = {(m.upper(), p): o["operationId"] for p, m, o in _operations(spec)}
    assert by_route["GET", "/v1/couple"] == "getCouple"
    assert by_route["POST", "/v1/couple"] == "joinCouple"
    assert by_route["POST", "/v1/couple/rituals/{ritual_id}/check-ins"] == "createRitualCheckIn"
    assert by_route["GET", "/v1/couple/rituals/{ritual_id}/check-ins"] == "listRitualCheckIns"
    assert by_route["GET", "/v1/couple/rituals/{ritual_id}/streak"] == "getRitualStreak"
    assert by_route["GET", "/v1/invites/current"] == "getCurrentInvite"
    assert by_route["POST", "/v1/notifications/read"] == "markNotificationsRead"
    assert by_route["DELETE", "/v1/devices/{device_id}"] == "deleteDevice"


def test_every_error_is_documented_as_problem_json(spec):
    for path, method, operation in _operations(spec):
        if not path.startswith("/v1/"):
            continue
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        assert "401" in responses, where
        if "{" in path or path.startswith("/v1/couple"):
            assert "404" in responses, where
        if "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        ):
            assert "422" in responses, where
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = _response(spec, response)["content"]
                assert list(content) == ["application/problem+json"], (where, status)
    by_route = {(m.upper(), p): o["responses"] for p, m, o in _operations(spec)}
    assert "429" in by_route["POST", "/v1/couple"]
    assert "429" in by_route["POST", "/v1/couple/rituals/{ritual_id}/nudge"]
    assert "409" in by_route["POST", "/v1/couple/rituals/{ritual_id}/check-ins"]
    assert "403" in by_route["DELETE", "/v1/couple/gratitude/{entry_id}"]


def test_nullable_nested_objects_are_a_nullable_ref(spec):
    quiet_hours = spec["components"]["schemas"]["Me"]["properties"]["quiet_hours"]
    assert quiet_hours["nullable"] is True
    assert [list(part) for part in quiet_hours["allOf"]] == [["$ref"]]
    assert "anyOf" not in str(spec["components"]["schemas"])


def test_responses_may_gain_fields_requests_stay_strict(spec):
    schemas = spec["components"]["schemas"]
    for path, method, operation in _operations(spec):
        body = operation.get("requestBody")
        if body:
            schema = _schema_of(spec, body["content"]["application/json"]["schema"])
            assert schema.get("additionalProperties") is False, (method, path)
        for status, response in operation["responses"].items():
            content = _response(spec, response).get("content", {})
            for media in content.values():
                schema = _schema_of(spec, media["schema"])
                assert schema.get("additionalProperties") is not False, (method, path, status)
    # A schema both sides use is split: the response copy is lenient, the request one strict.
    assert schemas["QuietHours"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["QuietHoursOut"]
    assert schemas["MePatch"]["properties"]["quiet_hours"]["allOf"][0]["$ref"].endswith(
        "/QuietHours"
    )


def test_a_route_added_later_is_finished_the_same_way():
    later = {
        "openapi": "3.0.3",
        "paths": {
            "/v1/couple/memories/{memory_id}/photos": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {"201": {"description": "Created"}},
                },
                "get": {
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"type": "array"}}}}
                    }
                },
            }
        },
        "components": {"schemas": {"Problem": {"type": "object"}}},
    }
    done = finish(later)
    item = done["paths"]["/v1/couple/memories/{memory_id}/photos"]
    assert item["post"]["operationId"] == "createMemoryPhoto"
    assert item["get"]["operationId"] == "listMemoryPhotos"
    assert {"401", "404", "413", "415", "422"} <= item["post"]["responses"].keys()
    assert done["components"]["responses"]["UNAUTHORIZED"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_two_routes_that_would_share_an_operation_id_are_refused():
    clash = {
        "paths": {
            "/v1/things/{id}": {"get": {"responses": {}}},
            "/v1/couple/things/{id}": {"get": {"responses": {}}},
        },
    }
    with pytest.raises(ValueError, match="getThing"):
        finish(clash)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/v1/me", "getMe"),
        ("patch", "/v1/me", "updateMe"),
        ("put", "/v1/couple/questions/{question_id}/answer", "setQuestionAnswer"),
        ("post", "/v1/couple/questions/today/swap", "swapTodayQuestion"),
        ("get", "/v1/couple/moods/today", "getTodayMood"),
        (
            "post",
            "/v1/couple/memories/{memory_id}/photos/{photo_id}/complete",
            "completeMemoryPhoto",
        ),
    ],
)
def test_default_operation_ids(method, path, expected):
    assert operation_id(method, path) == expected


def test_readme_and_spec_stay_inside_the_repository(spec):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in (readme, spec["info"]["description"]):
        assert "../" not in text and "shared/API.md" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target
    assert "docs/guide.md" in readme and (ROOT / "docs" / "guide.md").exists()
