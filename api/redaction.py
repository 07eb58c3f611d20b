"""No token and no query-string secret in any log line, whoever logs it.

Installed as the process's log record factory, so it holds for every logger and every handler
(the app's, werkzeug's request lines, gunicorn's access log, a library's error message), and
whatever the log format is: the message is cleaned when the record is made.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

# `Authorization: Bearer <token>` or a bare "Bearer <token>" in a message.
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+")
# Query parameters that carry secrets, in a URL or request line: the value goes.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[^=&\s\"]*(?:token|key|secret|passw|auth|code|sig|credential|session)"
    r"[^=&\s\"]*)=)[^&\s\"']*"
)
# Anything shaped like a credential: a long run of base64url, possibly in dotted or colon
# segments (JWTs, ID tokens with junk appended, FCM registration tokens, API keys).
# A separator belongs to the token only with something after it ("<worker name>: ..." keeps
# its colon, and the name is judged alone).
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}(?:[.:][A-Za-z0-9_\-=]+)*")
# UUIDs (request ids, client ids, job ids) are identifiers people search logs for, not
# secrets; so is a random UUID written as 32 hex digits (how rq names its workers), known by
# its version and variant digits. Any other run of hex digits is cut like a token.
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}"
)
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")
# Keep this many leading characters of a token: enough to tell two apart, too few to replay.
KEEP = 4


def _shorten(match: re.Match[str]) -> str:
    text = match.group(0)
    if _UUID.fullmatch(text) or not (_DIGIT.search(text) and _LETTER.search(text)):
        # A UUID is an identifier; a long word without digits is a name (snake_case), not a
        # random credential.
        return text
    return text[:KEEP] + "…" + REDACTED


def redact(text: str) -> str:
    """text with bearer tokens, secret query values and token-shaped strings cut short."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_LIKE.sub(_shorten, text)


def _redacted_arg(value: Any) -> Any:
    """A log argument as it is, or its text redacted when that changes it."""
    text = str(value)
    clean = redact(text)
    return value if clean == text else clean


def install() -> None:
    """Make every log record of this process redacted at creation (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_hearth_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as usual
            return record
        clean = redact(message)
        if clean == message:
            return record
        # The arguments cleaned and the format string kept where that is enough: filters
        # match lines by their format string (api/observability/logs.py RoutineAtDebug).
        msg, args = record.msg, record.args
        if isinstance(msg, str) and redact(msg) == msg and isinstance(args, tuple):
            record.args = tuple(_redacted_arg(a) for a in args)
            if redact(record.getMessage()) == record.getMessage():
                return record
        record.msg, record.args = clean, None
        return record

    factory._hearth_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
