"""The web process's observability: request ids, the access line, /metrics, Sentry, CORS."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Blueprint, Flask, Response, g, request

from api.observability import metrics
from api.observability.logs import current_user_id

access_log = logging.getLogger("hearth.access")

# What a client or proxy may hand us as X-Request-ID; anything else is replaced, so the header
# can neither forge log structure nor carry a long secret into every line.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The methods HTTP defines: any other word a client sends is one `other` label, or each would
# add a series per latency bucket to every process's metrics, without bound.
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)

blp = Blueprint("metrics", __name__)


@blp.get("/metrics")
def metrics_view() -> Response:
    """Prometheus exposition of every process's metrics and the queue's depth (no auth)."""
    from api.queue import get_queue

    body, content_type = metrics.exposition(get_queue().queue)
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    """Bind the request hooks, /metrics and (with CORS_ORIGINS) CORS; call before blueprints."""
    config = app.extensions["hearth_config"]
    app.register_blueprint(blp)
    if config.cors_origins:
        from flask_cors import CORS

        # Before auth: a browser's preflight carries no token and must get the CORS answer.
        CORS(
            app,
            resources={r"/v1/*": {"origins": list(config.cors_origins)}},
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "Location"],
            max_age=600,
        )
    app.before_request(_start)
    app.after_request(_finish)


def skip_preflight_auth() -> bool:
    """Whether this request is a CORS preflight the CORS layer answers (no auth needed)."""
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    method = request.method if request.method in METHODS else "other"
    metrics.HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).observe(duration)
    # The path only: a query string can carry secrets. One line per request; a 500 carries
    # the exception's traceback here rather than in a line of its own.
    error = g.pop("unhandled_error", None)
    level = logging.ERROR if error is not None else logging.INFO
    access_log.log(
        level,
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 2),
            "user_id": current_user_id(),
        },
    )
    return response


def record_unhandled(error: BaseException) -> None:
    """Keep an unhandled error for the request's one log line (outside a request: log it now)."""
    from flask import has_request_context

    if has_request_context():
        g.unhandled_error = error
    else:
        logging.getLogger("api.errors").error("unhandled error", exc_info=sys.exc_info())
