"""Send the same raw body with Content-Length or chunked, through the WSGI test client.

Chunked as a WSGI server hands it over (gunicorn, werkzeug's dev server): no CONTENT_LENGTH,
`Transfer-Encoding: chunked`, and `wsgi.input_terminated` set because the server de-chunks the
stream and ends it. tests/hardening/test_real_server.py sends real chunked bytes over a socket.
"""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient

FRAMINGS = ("content-length", "chunked")


def send(
    client: FlaskClient,
    method: str,
    path: str,
    raw: bytes,
    *,
    framing: str,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
) -> Any:
    """One request whose body is raw, framed as asked."""
    sent = dict(headers or {})
    if content_type:
        sent["Content-Type"] = content_type
    if framing == "chunked":
        sent["Transfer-Encoding"] = "chunked"
        return client.open(
            path,
            method=method,
            input_stream=io.BytesIO(raw),
            headers=sent,
            environ_overrides={"wsgi.input_terminated": True},
        )
    assert framing == "content-length"
    return client.open(path, method=method, data=raw, headers=sent)
