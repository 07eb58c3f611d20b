"""Last touches on every response, after every other hook: what API.md promises of all answers."""

from __future__ import annotations

from flask import Flask, Response

from api.errors import UNAVAILABLE_RETRY_AFTER


def finish_response(response: Response) -> Response:
    """Retry-After on every 503 and only on a 429 or 503; a 204 has no body nor content type."""
    if response.status_code == 503:
        # Whatever answered it (a domain error, a health check, a library), a 503 says when.
        response.headers.setdefault("Retry-After", str(UNAVAILABLE_RETRY_AFTER))
    elif response.status_code != 429:
        # Flask-Limiter adds Retry-After (with its X-RateLimit-* headers) to every answer of a
        # rate-limited route, a 201 included; it belongs to the answers that mean "wait": a
        # rate limit (429) and a database briefly out of reach (503, the fault-tolerance rule).
        response.headers.pop("Retry-After", None)
    if response.status_code == 204:
        # flask-smorest serialises the view's None as JSON; a 204 has no content to type.
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
        response.headers.pop("Content-Length", None)
    return response


def register_response_finisher(app: Flask) -> None:
    """Run finish_response after every other after_request hook (Flask runs them in reverse)."""
    app.after_request_funcs.setdefault(None, []).insert(0, finish_response)
