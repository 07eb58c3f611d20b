"""Log lines: one JSON object per line (LOG_FORMAT=json, the production default) or plain text.

Every record gets the context it was written in: ``request_id`` and ``user_id`` inside a
request, ``job_id`` (and the job's function) inside an RQ job. Plain text never carries colour
codes: nothing here adds them, and werkzeug's coloured request lines are replaced by the app's
own access line. Handlers are set on the root logger once per process, so Hearth's loggers,
RQ's, gunicorn's and the libraries' all share the one format.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# The attributes ContextFilter may set; the text format shows those present, in this order.
CONTEXT_FIELDS = (
    "process_kind",
    "request_id",
    "user_id",
    "job_id",
    "job",
    "method",
    "path",
    "status",
    "duration_ms",
)

_HANDLER_NAME = "hearth"
_process_kind: str | None = None


def process_kind() -> str | None:
    """What this process is ("web", "worker", "cron"): named by configure_logging's first call."""
    return _process_kind


class ContextFilter(logging.Filter):
    """Adds the request's or job's identifiers to every record (never a body, never a token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _process_kind and not hasattr(record, "process_kind"):
            record.process_kind = _process_kind
        _add_request_context(record)
        _add_job_context(record)
        return True


def _add_request_context(record: logging.LogRecord) -> None:
    from flask import g, has_request_context

    if not has_request_context():
        return
    request_id = g.get("request_id")
    if request_id and not hasattr(record, "request_id"):
        record.request_id = request_id
    user_id = current_user_id()
    if user_id is not None and not hasattr(record, "user_id"):
        record.user_id = user_id


def current_user_id() -> int | None:
    """The authenticated user's internal id in this request, without touching the database."""
    from flask import g

    return g.get("user_id")  # set by the auth step (api/auth.py)


def _add_job_context(record: logging.LogRecord) -> None:
    from rq import get_current_job

    try:
        job = get_current_job()
    except Exception:  # outside a worker there is no job stack to read
        return
    if job is None or hasattr(record, "job_id"):
        return
    record.job_id = job.id
    record.job = job.func_name


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NoColour(logging.Filter):
    """Strips the ANSI colour codes some libraries put in messages (werkzeug's banner, RQ's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "\x1b" in record.msg:
            record.msg = ANSI_ESCAPE.sub("", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                ANSI_ESCAPE.sub("", a) if isinstance(a, str) else a for a in record.args
            )
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [key=value ...]: message`, with no colour codes."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        pairs = [
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if name != "process_kind" and getattr(record, name, None) is not None
        ]
        record.context = f" [{' '.join(pairs)}]" if pairs else ""
        return super().format(record)


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, context, exc_info (traceback)."""
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        json_ensure_ascii=False,
    )


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT (`json` or `text`)."""
    return json_formatter() if log_format == "json" else TextFormatter()


class _DropWerkzeugAccessLines(logging.Filter):
    """werkzeug's request lines: coloured, with the query string; the app logs its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        # werkzeug formats `... "%s" %s %s\n` and strips the newline before logging it.
        return not (isinstance(message, str) and message.rstrip().endswith('"%s" %s %s'))


class RoutineAtDebug(logging.Filter):
    """Demote a logger's routine INFO lines (matched by their format string) to DEBUG.

    `rq cron` announces every enqueue and `rq worker` writes three lines per job, every 15-30 s
    for the clock's jobs: routine. Hearth's jobs log at INFO what they did, with their job id.
    """

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith(self.prefixes):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


ROUTINE_LINES = {
    "rq.cron": ("Enqueued job",),
    "rq.worker": (
        "Worker %s: %s: %s",  # job started (with or without its description), "Job OK"
        "Successfully completed ",
        "Worker %s: job %s result ",
    ),
}


def configure_logging(*, level: str, log_format: str, process_kind: str) -> None:
    """Route every logger through one stderr handler in log_format; idempotent per process."""
    global _process_kind
    # The first caller names the process: a worker's jobs build the app (create_app says "web").
    _process_kind = _process_kind or process_kind
    root = logging.getLogger()
    root.setLevel(level)
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(make_formatter(log_format))
    # Colour only for a person at a terminal; never in JSON, a file or a pipe.
    colour = log_format == "text" and handler.stream.isatty()
    for old in [f for f in handler.filters if isinstance(f, NoColour)]:
        handler.removeFilter(old)
    if not colour:
        handler.addFilter(NoColour())
    # RQ and gunicorn install coloured handlers of their own unless one exists up the tree;
    # whatever they installed before us gives way to the shared one.
    for name in ("rq.worker", "rq.cron", "rq.scheduler", "gunicorn.error"):
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True
    for name, prefixes in ROUTINE_LINES.items():
        if not _has_filter(name, RoutineAtDebug):
            logging.getLogger(name).addFilter(RoutineAtDebug(prefixes))
    if not _has_filter("werkzeug", _DropWerkzeugAccessLines):
        logging.getLogger("werkzeug").addFilter(_DropWerkzeugAccessLines())
    # Alembic announces each of its plugins at INFO on every `flask` command: noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _has_filter(logger_name: str, kind: type[Any]) -> bool:
    return any(isinstance(f, kind) for f in logging.getLogger(logger_name).filters)


def gunicorn_logconfig(*, level: str, log_format: str) -> dict[str, Any]:
    """gunicorn's logconfig_dict: its own lines in the app's format (its access log is off)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "hearth": {"()": "api.observability.logs.make_formatter", "log_format": log_format}
        },
        "filters": {"context": {"()": "api.observability.logs.ContextFilter"}},
        "handlers": {
            "hearth": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "hearth",
                "filters": ["context"],
            }
        },
        "root": {"level": level, "handlers": ["hearth"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
