"""Errors of web, workers and clock to Sentry (SENTRY_DSN), without user texts or tokens.

The scrubber (before_send) is the one gate: it drops request bodies, cookies, query strings and
credential headers, every frame's local variables, the SQL parameters a database error quotes,
and any value under a key that names a secret or a user's words, wherever it nests.
"""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"

# Keys whose values are secrets or a user's own words (answers, notes, messages, names).
SENSITIVE_KEY = re.compile(
    r"authorization|cookie|token|secret|password|passwd|api[-_]?key|dsn|credential|"
    r"^text$|^body$|^data$|^note|answer|^message_text$|memory|display_name|^title$",
    re.IGNORECASE,
)
# Headers that carry credentials, dropped from the request outright.
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-firebase-appcheck"})
# SQLAlchemy quotes the statement's parameters (user texts) in the exception message.
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)
# A bearer token or a Firebase ID token (a JWT) written into any message.
BEARER = re.compile(r"(?i)bearer\s+\S+")
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def scrub_text(text: str) -> str:
    """text without SQL parameters, bearer tokens or JWTs."""
    text = SQL_PARAMETERS.sub("[parameters: [Filtered]]", text)
    text = BEARER.sub("Bearer [Filtered]", text)
    return JWT.sub(FILTERED, text)


def _scrub_mapping(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: FILTERED if SENSITIVE_KEY.search(str(key)) else _scrub_mapping(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_mapping(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """before_send: the event with no user text, token, credential header or request body."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() not in SECRET_HEADERS
            }
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        if isinstance(logentry.get("message"), str):
            logentry["message"] = scrub_text(logentry["message"])
        if "params" in logentry:
            logentry["params"] = _scrub_mapping(logentry["params"])
    for key in ("extra", "contexts", "tags"):
        if key in event:
            event[key] = _scrub_mapping(event[key])
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in crumbs or []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = scrub_text(crumb["message"])
        if "data" in crumb:
            crumb["data"] = _scrub_mapping(crumb["data"])
    user = event.get("user")
    if isinstance(user, dict):
        # The internal id is enough to find the user; nothing else of theirs leaves.
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return event


def init_sentry(*, dsn: str | None, environment: str, process_kind: str) -> bool:
    """Start the Sentry SDK for this process when a DSN is set; False when it is not."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[FlaskIntegration(), RqIntegration()],
        # PII stays off (the SDK's default); the scrubber removes what defaults still send.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]
        before_send_transaction=scrub_event,  # type: ignore[arg-type]
    )
    sentry_sdk.set_tag("process", process_kind)
    return True
