"""The one error shape: RFC 9457 problem details, for every error the API can answer."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://hearth.app/problems/"
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A rule of the domain said no; subclasses set status and title, raised by services."""

    status: int = 400
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.retry_after = retry_after

    @property
    def slug(self) -> str:
        name = type(self).__name__
        return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Invalid(DomainError):
    """A 422 with per-field messages, for rules a schema cannot express."""

    status = 422
    title = "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors={field: [message]})


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class RateLimited(DomainError):
    """A 429, which always says when to try again: API.md promises Retry-After on every one."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=max(1, retry_after))


class ProblemSchema(Schema):
    """RFC 9457 problem details: the body of every error the API answers."""

    type = fields.String(
        required=True, metadata={"example": "https://hearth.app/problems/validation"}
    )
    title = fields.String(required=True, metadata={"example": "Unprocessable Entity"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "On 422: each invalid field (nested fields nest) -> messages."},
    )


class ProblemApi(Api):
    """flask-smorest's Api, documenting every error as what errors.py renders: problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # As Api._register_responses, with the content type errors really have.
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def problem_doc(description: str, **extra: Any) -> dict[str, Any]:
    """alt_response keyword arguments documenting one error of a route (problem+json)."""
    return {
        "schema": ProblemSchema,
        "content_type": PROBLEM_JSON,
        "description": description,
        **extra,
    }


def problem(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Render one problem+json response (extra: extension members)."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": type_ or "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); the apps want field -> messages."""
    if not isinstance(messages, dict):
        return {"_body": messages}
    flat: dict[str, Any] = {}
    for location, by_field in messages.items():
        if isinstance(by_field, dict):
            flat.update(by_field)
        else:
            flat[location] = by_field
    return flat


def handle_domain_error(error: DomainError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return problem(
        error.status,
        title=error.title,
        detail=error.detail,
        type_=PROBLEM_BASE + error.slug,
        errors=error.errors,
        headers=headers,
    )


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    errors = None
    detail = error.description
    data = getattr(error, "data", None)
    if status == 422 and data and "messages" in data:
        errors = _flatten_webargs_messages(data["messages"])
        detail = "The request body or query has invalid fields; see errors."
    elif status == 400 and data and "messages" in data:
        detail = "The request body is not valid JSON."
    # What the exception itself says in headers: Allow on a 405 (RFC 9110 requires it).
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if error.response is not None:
        # Flask-Limiter hands over its Retry-After/X-RateLimit headers on the response it built.
        headers.update(
            (k, v)
            for k, v in error.response.headers.items()
            if k.lower() not in ("content-type", "content-length")
        )
    return problem(
        status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        type_=PROBLEM_BASE + "validation" if status == 422 else None,
        errors=errors,
        headers=headers or None,
    )


def record_unhandled(error: Exception) -> None:
    """Hand an unhandled error to the request's log line and to Sentry (when configured)."""
    import sentry_sdk

    from api.observability.web import record_unhandled as keep_for_log_line

    keep_for_log_line(error)
    sentry_sdk.capture_exception(error)


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    # One log line with the request's context and the traceback (the access line), and Sentry;
    # the client gets no detail of it.
    record_unhandled(error)
    return problem(500, detail="Something went wrong on our side; it has been logged.")


def register(app: Flask) -> None:
    """Bind the handlers; called after the smorest Api so these replace its own."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
