"""The one error shape: RFC 9457 problem details, for every error the API can answer."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json
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
    status = 429
    title = "Too many requests"


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
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
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
    headers = {}
    if error.response is not None:
        # Flask-Limiter hands over its Retry-After/X-RateLimit headers on the response it built.
        headers = {k: v for k, v in error.response.headers.items() if k.lower() != "content-type"}
        headers.pop("Content-Length", None)
    return problem(
        status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        type_=PROBLEM_BASE + "validation" if status == 422 else None,
        errors=errors,
        headers=headers or None,
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error")
    return problem(500, detail="Something went wrong on our side; it has been logged.")


def register(app: Flask) -> None:
    """Bind the handlers; called after the smorest Api so these replace its own."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
