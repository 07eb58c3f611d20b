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


class AsChunked:
    """WSGI middleware: present every request as a server presents a chunked one.

    gunicorn and werkzeug's server de-chunk a `Transfer-Encoding: chunked` body and hand the
    app a stream without CONTENT_LENGTH, marked `wsgi.input_terminated`. Wrapping an app in
    this makes any test client's request arrive that way (the Schemathesis run uses it).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Drop the length, say chunked, mark the stream terminated; then the app."""
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
        return self.app(environ, start_response)
