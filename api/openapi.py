"""The spec as client generators need it, finished in one place for every route, present and future.

flask-smorest writes the spec from the routes; `HearthApi` then finishes it each time it is
rendered (`/openapi.json` and `flask openapi write` alike), so a route added later gets the
same treatment without anyone remembering to:

- every operation has a stable, readable `operationId` (`getCouple`, `createRitualCheckIn`),
  derived from its method and path unless the route sets one with `@blp.doc(operationId=...)`;
- every operation documents its errors as problem+json: 401 and 503 (sign-in) on all of `/v1`,
  404 where a path names a row or the caller must be paired, 422 where it reads a body or a
  query, 413/415 where it reads a body (routes add their own 403/409/429 with `alt_response`);
- a nullable nested object is `{nullable: true, allOf: [$ref]}` (OpenAPI 3.0), which
  generators type as "that object or None", instead of apispec's `anyOf` with an untyped
  object that they cannot name;
- response schemas allow extra properties (responses may gain fields; clients ignore what
  they do not know) while request schemas stay strict (`additionalProperties: false`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from apispec import APISpec

from api.errors import PROBLEM_JSON, ProblemApi

METHODS = ("get", "put", "post", "delete", "patch")
SCHEMA_REF = "#/components/schemas/"
RESPONSE_REF = "#/components/responses/"

# The verb of an operationId, by HTTP method; a GET is `list` on a collection, else `get`.
VERBS = {"post": "create", "put": "set", "patch": "update", "delete": "delete"}
# A POST to a path ending in one of these acts on what precedes it: `.../read` -> markXRead.
ACTIONS = {"read": ("mark", "Read"), "swap": ("swap", ""), "complete": ("complete", "")}
# Path words that qualify the resource before them: /invites/current -> CurrentInvite.
QUALIFIERS = frozenset({"current", "today", "daily"})
# The couple scope every couple resource shares is left out of their names (GET /v1/couple
# itself keeps it: it is the only word left).
DROPPED = frozenset({"couple"})


class HearthApi(ProblemApi):
    """flask-smorest's Api whose spec is finished for client generators on every render."""

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        # smorest instantiates apispec.APISpec itself; this subclass only adds finishing.
        self.spec.__class__ = HearthSpec


class HearthSpec(APISpec):
    """apispec's APISpec, whose dict form is finished by `finish`."""

    def to_dict(self) -> dict[str, Any]:
        """The spec as a dict, finished for client generators."""
        return finish(super().to_dict())


def finish(spec: dict[str, Any]) -> dict[str, Any]:
    """Apply the generator-friendly rules (see the module docstring) to a rendered spec."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    _add_operation_ids(spec)
    _document_errors(spec)
    for schema in schemas.values():
        _rewrite_nullable_refs(schema)
    _split_response_schemas(spec)
    return spec


# -- operationIds -----------------------------------------------------------------------------


def operation_id(
    method: str,
    path: str,
    operation: dict[str, Any] | None = None,
    schemas: dict[str, Any] | None = None,
) -> str:
    """The default operationId of one operation: verb, qualifier, resource nouns, camelCase."""
    segments = [s for s in path.split("/") if s and s != "v1"]
    action: tuple[str, str] | None = None
    if method == "post" and len(segments) > 1 and segments[-1] in ACTIONS:
        action = ACTIONS[segments.pop()]
    is_item = segments[-1].startswith("{")
    names = [s for s in segments if not s.startswith("{")]
    if len(names) > 1 and names[0] in DROPPED:
        names = names[1:]
    qualifier = names.pop() if len(names) > 1 and names[-1] in QUALIFIERS else ""
    if method == "get":
        many = _returns_many(operation or {}, schemas or {})
    else:
        many = action == ACTIONS["read"]
    keep_plural = many and not is_item and not qualifier
    nouns = [_singular(n) for n in names[:-1]]
    nouns.append(names[-1] if keep_plural else _singular(names[-1]))
    if action is not None:
        verb, suffix = action
    elif method == "get":
        verb, suffix = ("list" if keep_plural else "get"), ""
    else:
        verb, suffix = VERBS[method], ""
    return verb + _camel(qualifier) + "".join(_camel(n) for n in nouns) + suffix


def _returns_many(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether the 200 answer is a list: a JSON array or a page (`items` + `next_cursor`)."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith(SCHEMA_REF):
        schema = schemas.get(ref[len(SCHEMA_REF) :], {})
    return schema.get("type") == "array" or {"items", "next_cursor"} <= set(
        schema.get("properties", {})
    )


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _camel(word: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", word) if part)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _add_operation_ids(spec: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for path, method, operation in _operations(spec):
        default = operation_id(method, path, operation, spec["components"]["schemas"])
        name = operation.setdefault("operationId", default)
        where = f"{method.upper()} {path}"
        if name in seen:
            # Two routes would generate one client method: the newer route must name itself.
            raise ValueError(
                f"operationId {name!r} of {where} is already {seen[name]}'s:"
                " give one of them @blp.doc(operationId=...)"
            )
        seen[name] = where


# -- errors -----------------------------------------------------------------------------------

ERRORS = {
    401: "Missing or invalid bearer token",
    404: "Not found (or not yours), or not paired",
    413: "The request body is too large",
    415: "The request body is not application/json",
    422: "Invalid fields, or a body where none is taken; `errors` names each one",
    503: "Sign-in cannot be checked right now (the identity provider is unreachable)",
}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": SCHEMA_REF + "Problem"}}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "`Bearer`",
                "schema": {"type": "string"},
            }
        }
    return response


def _document_errors(spec: dict[str, Any]) -> None:
    responses = spec["components"].setdefault("responses", {})
    for path, _method, operation in _operations(spec):
        if not path.startswith("/v1/"):
            continue
        # Authentication runs before every /v1 operation: a bad token is a 401, and with
        # Firebase auth an unreachable Google is a 503 (AuthUnavailable), on any of them.
        wanted = {401, 503}
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if "{" in path or path == "/v1/couple" or path.startswith("/v1/couple/"):
            wanted.add(404)
        # Any operation answers a body it does not take with a 422, and one too large with a
        # 413 (API.md); only one that takes a body has a media type to refuse (415).
        wanted |= {413, 422}
        if "requestBody" in operation:
            wanted.add(415)
        if has_query:
            wanted.add(422)
        documented = operation.setdefault("responses", {})
        for status in sorted(wanted):
            if str(status) in documented:
                continue
            name = HTTPStatus(status).name
            responses.setdefault(name, _error_response(status))
            documented[str(status)] = {"$ref": RESPONSE_REF + name}


# -- nullable nested objects ------------------------------------------------------------------


def _rewrite_nullable_refs(schema: Any) -> None:
    """anyOf[{type: object, nullable}, {$ref}] -> {nullable: true, allOf: [{$ref}]}, in place."""
    if isinstance(schema, list):
        for item in schema:
            _rewrite_nullable_refs(item)
        return
    if not isinstance(schema, dict):
        return
    options = schema.get("anyOf")
    if isinstance(options, list) and len(options) == 2:
        refs = [o for o in options if "$ref" in o]
        nulls = [o for o in options if o.get("nullable") and "$ref" not in o]
        if len(refs) == 1 and len(nulls) == 1:
            del schema["anyOf"]
            schema["nullable"] = True
            schema["allOf"] = [refs[0]]
    for value in schema.values():
        _rewrite_nullable_refs(value)


# -- response schemas allow extra properties --------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            yield ref[len(SCHEMA_REF) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _closure(names: set[str], schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
    return seen


def _split_response_schemas(spec: dict[str, Any]) -> None:
    """Let response schemas gain properties; a schema requests share is copied for them first."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    request_roots: set[str] = set()
    response_roots: set[str] = set()
    for _path, _method, operation in _operations(spec):
        request_roots.update(_refs(operation.get("requestBody", {})))
        request_roots.update(_refs(operation.get("parameters", [])))
        for response in operation.get("responses", {}).values():
            response_roots.update(_refs(response))
    for response in spec["components"].get("responses", {}).values():
        response_roots.update(_refs(response))
    in_requests = _closure(request_roots, schemas)
    in_responses = _closure(response_roots, schemas)
    shared = in_requests & in_responses
    # A schema both sides use: responses get a lenient copy named <Name>Out, requests keep it.
    renames = {name: f"{name}Out" for name in sorted(shared)}
    for name, new in renames.items():
        schemas[new] = copy.deepcopy(schemas[name])
    for name in (in_responses - shared) | set(renames.values()):
        _retarget(schemas[name], renames)
        schemas[name].pop("additionalProperties", None)
    for _path, _method, operation in _operations(spec):
        for response in operation.get("responses", {}).values():
            _retarget(response, renames)
    for response in spec["components"].get("responses", {}).values():
        _retarget(response, renames)


def _retarget(node: Any, renames: dict[str, str]) -> None:
    """Point $refs at the renamed schemas, in place."""
    if not renames:
        return
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            name = ref[len(SCHEMA_REF) :]
            if name in renames:
                node["$ref"] = SCHEMA_REF + renames[name]
        for value in node.values():
            _retarget(value, renames)
    elif isinstance(node, list):
        for item in node:
            _retarget(item, renames)
