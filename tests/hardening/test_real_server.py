"""Findings 2 and 8 over a real socket: werkzeug's server (as `make run` serves it) de-chunking
real `Transfer-Encoding: chunked` bytes, and the Server header it sends.

Before: a chunked NUL was stored (201), and `Server: Werkzeug/3.1.x Python/3.11.x`.
After: 422, and `Server: Hearth`.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import auth
from workers.embedded import BannerlessRequestHandler


@pytest.fixture
def server(app: Flask) -> Iterator[tuple[str, int]]:
    served = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=BannerlessRequestHandler
    )
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", served.server_port
    served.shutdown()
    thread.join(5)


def _chunks(raw: bytes, size: int = 7) -> Iterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


def _request(server, method: str, path: str, body: bytes | None, *, chunked: bool):
    conn = http.client.HTTPConnection(*server, timeout=10)
    headers = {**auth("wire"), "Content-Type": "application/json"}
    if body is not None and chunked:
        conn.request(method, path, body=_chunks(body), headers=headers, encode_chunked=True)
    else:
        conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


@pytest.mark.parametrize("chunked", [False, True])
def test_rules_hold_for_real_chunked_bytes(server, chunked):
    nul = b'{"token": "abc\\u0000def-token-token-token", "platform": "ios"}'
    response, _ = _request(server, "POST", "/v1/devices", nul, chunked=chunked)
    assert response.status == 422
    response, _ = _request(server, "GET", "/v1/me", b'{"is_admin": true}', chunked=chunked)
    assert response.status == 422
    good = b'{"token": "' + b"w" * 40 + b'", "platform": "ios"}'
    response, _ = _request(server, "POST", "/v1/devices", good, chunked=chunked)
    assert response.status in (200, 201)


def test_the_server_header_names_no_versions(server):
    response, _ = _request(server, "GET", "/v1/me", None, chunked=False)
    assert response.status == 200
    banner = response.getheader("Server")
    assert banner == "Hearth"
    assert "Werkzeug" not in banner and "Python" not in banner
