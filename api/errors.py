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

from api import schema_messages
from api.i18n import N_, request_locale, translate

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://hearth.app/problems/"
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A rule of the domain said no; subclasses set status and title, raised by services.

    title, detail and each message of errors are msgids marked with N_ (detail's %(name)s
    placeholders filled from params), answered in the sender's language.
    """

    status: int = 400
    title: str = N_("Bad request")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
        **params: object,
    ) -> None:
        self.detail = detail or self.title
        self.params = params
        self.errors = errors
        self.retry_after = retry_after
        super().__init__(self.render_detail(None))  # English, for logs and tracebacks

    def render_detail(self, locale: str | None) -> str:
        """The detail in locale's language, its placeholders filled."""
        return translate(locale, self.detail, **self.params)

    @property
    def slug(self) -> str:
        name = type(self).__name__
        return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


class NotFound(DomainError):
    status = 404
    title = N_("Not found")


class Invalid(DomainError):
    """A 422 with per-field messages, for rules a schema cannot express."""

    status = 422
    # The same type and title as a 422 of the schemas: one kind of answer for a client to know.
    title = N_("Unprocessable Entity")
    slug = "validation"  # type: ignore[assignment]

    def __init__(self, field: str, message: str, **params: object) -> None:
        self.field, self.message = field, message
        super().__init__(N_("%(field)s: %(message)s"), errors={field: [message]}, **params)

    def render_detail(self, locale: str | None) -> str:
        """'field: message' with the message in locale's language."""
        message = translate(locale, self.message, **self.params)
        return translate(locale, self.detail, field=self.field, message=message)


class Conflict(DomainError):
    status = 409
    title = N_("Conflict")


class RateLimited(DomainError):
    """A 429, which always says when to try again: API.md promises Retry-After on every one."""

    status = 429
    title = N_("Too many requests")

    def __init__(self, detail: str | None = None, *, retry_after: int, **params: object) -> None:
        super().__init__(detail, retry_after=max(1, retry_after), **params)


# Seconds a client waits after a 503 (a side system restarting or failing over takes seconds;
# a retry storm sooner would only slow it down).
UNAVAILABLE_RETRY_AFTER = 5


class Unavailable(DomainError):
    """A 503: a side system is briefly out of reach; it always says when to try again."""

    status = 503
    title = N_("Service Unavailable")

    def __init__(
        self,
        detail: str | None = None,
        *,
        retry_after: int = UNAVAILABLE_RETRY_AFTER,
        **params: object,
    ) -> None:
        super().__init__(detail, retry_after=retry_after, **params)


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


def rate_limited_doc(description: str) -> dict[str, Any]:
    """alt_response keyword arguments documenting a route's 429, with its Retry-After."""
    retry_after = {"description": "Seconds to wait", "schema": {"type": "integer"}}
    return problem_doc(description, headers={"Retry-After": retry_after})


def unavailable_doc(description: str) -> dict[str, Any]:
    """alt_response keyword arguments documenting a route's 503, with its Retry-After."""
    return rate_limited_doc(description)


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
    locale = request_locale()
    detail = error.render_detail(locale)
    errors = error.errors and {
        field: [translate(locale, message, **error.params) for message in messages]
        for field, messages in error.errors.items()
    }
    return problem(
        error.status,
        title=translate(locale, error.title),
        detail=detail,
        type_=PROBLEM_BASE + error.slug,
        errors=errors,
        headers=headers,
    )


# The titles of the statuses Hearth answers, and the details werkzeug would give in English.
STATUS_TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Content Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}
DEFAULT_DETAILS = {
    400: N_("The request could not be understood."),
    404: N_("There is nothing at this address."),
    405: N_("This method is not allowed at this address."),
    413: N_("The request body is too large."),
    415: N_("This media type is not supported."),
    429: N_("Too many requests; try again later."),
}


def _translate_messages(locale: str | None, messages: Any) -> Any:
    """Each message string of a (nested) webargs error dict, in locale's language."""
    if isinstance(messages, dict):
        return {key: _translate_messages(locale, value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_translate_messages(locale, value) for value in messages]
    if isinstance(messages, str):
        return schema_messages.render(locale, messages)
    return messages


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    errors = None
    # Our own raises pass a marked msgid; werkzeug's English defaults get ours instead.
    detail = error.description
    if detail == type(error).description and status in DEFAULT_DETAILS:
        detail = DEFAULT_DETAILS[status]
    data = getattr(error, "data", None)
    locale = request_locale()
    if status == 422 and data and "messages" in data:
        errors = _translate_messages(locale, _flatten_webargs_messages(data["messages"]))
        detail = N_("The request body or query has invalid fields; see errors.")
    elif status == 400 and data and "messages" in data:
        detail = N_("The request body is not valid JSON.")
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
        title=translate(locale, STATUS_TITLES.get(status, HTTPStatus(status).phrase)),
        detail=translate(locale, detail or HTTPStatus(status).phrase),
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
    locale = request_locale()
    return problem(
        500,
        title=translate(locale, STATUS_TITLES[500]),
        detail=translate(locale, N_("Something went wrong on our side; it has been logged.")),
    )


# How long a client waits before retrying when the database is unreachable.
DATABASE_RETRY_AFTER = UNAVAILABLE_RETRY_AFTER
_PG_UNAVAILABLE = ("57P01", "57P02", "57P03")  # admin/crash shutdown, cannot connect now
# Class 53, insufficient resources (disk full, out of memory, too many connections): the
# server's trouble, not the request's; it passes once an operator or the load frees some.
_PG_UNAVAILABLE_CLASSES = ("08", "53")
# Two transactions met at one moment (a deadlock between an erasure and the partner's write,
# say): PostgreSQL rolled this one back whole, and the same request succeeds when sent again.
_PG_ROLLED_BACK = ("40P01", "40001")  # deadlock detected, serialization failure
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def database_unavailable(error: BaseException) -> bool:
    """Whether error says the database cannot be reached (lost, refused, restarting), not a bug."""
    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):
        return True  # every pooled connection busy past pool_timeout
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, exc.OperationalError | exc.InterfaceError):
        return False
    orig = error.orig
    if type(orig).__module__.startswith("sqlite3"):
        return str(orig).lower().startswith(_SQLITE_UNAVAILABLE)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:
        # psycopg: a refused connect or a connection closed under the query has no SQLSTATE.
        return True
    return sqlstate.startswith(_PG_UNAVAILABLE_CLASSES) or sqlstate in _PG_UNAVAILABLE


def rolled_back_by_concurrency(error: BaseException) -> bool:
    """Whether PostgreSQL rolled the transaction back for meeting another (deadlock,
    serialization failure): nothing was kept, and the same request succeeds when retried."""
    from sqlalchemy import exc

    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(error, exc.DBAPIError) and sqlstate in _PG_ROLLED_BACK


def handle_database_error(error: Exception) -> Response:
    """A database that cannot be reached answers 503 with Retry-After, logged in one line;
    so does a transaction rolled back for meeting another, and a write about a row deleted
    meanwhile answers what a retry would (handle_deleted_meanwhile)."""
    from api.db_utils import foreign_key_violation

    if foreign_key_violation(error):
        return handle_deleted_meanwhile(error)
    rolled_back = rolled_back_by_concurrency(error)
    if not (rolled_back or database_unavailable(error)):
        return handle_unexpected(error)
    orig = getattr(error, "orig", None) or error
    # The driver's first line only: SQLAlchemy's own text carries the statement's parameters,
    # which can be a user's words.
    reason = (str(orig).strip().splitlines() or [""])[0][:200]
    what = "transaction rolled back by a concurrent one" if rolled_back else "database unavailable"
    log.warning("%s (%s): %s", what, type(orig).__name__, reason)
    locale = request_locale()
    return problem(
        503,
        title=translate(locale, STATUS_TITLES[503]),
        detail=translate(
            locale, N_("The service is briefly unavailable; retry after the time in Retry-After.")
        ),
        type_=PROBLEM_BASE + "unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def handle_deleted_meanwhile(error: Exception) -> Response:
    """A row the request wrote about was deleted by another transaction as it wrote: the
    caller's own account (erased from another phone: 401) or anything else (404), the
    answers a retry would get. Nothing of the request was kept.
    """
    from flask import g
    from sqlalchemy import select

    from api.auth import Unauthenticated
    from api.extensions import db
    from api.users.models import User

    # Not user.id: the rollback expires the object, and its row may be gone.
    user_id = g.get("user_id")
    db.session.rollback()
    erased = (
        user_id is not None and db.session.scalar(select(User.id).filter_by(id=user_id)) is None
    )
    db.session.rollback()
    # WARNING, with the constraint: a bug inserting an id nobody checked would look the same.
    diag = getattr(getattr(error, "orig", None), "diag", None)
    log.warning(
        "write refused: %s deleted meanwhile (constraint %s)",
        "the account" if erased else "a row it names",
        getattr(diag, "constraint_name", None) or "unknown",
    )
    if erased:
        return handle_domain_error(Unauthenticated(N_("This account was deleted meanwhile.")))
    return handle_domain_error(NotFound(N_("What this refers to was deleted meanwhile.")))


def register(app: Flask) -> None:
    """Bind the handlers; called after the smorest Api so these replace its own."""
    from sqlalchemy.exc import SQLAlchemyError

    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
