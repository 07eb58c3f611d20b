"""Photo confirmation while the object store is down: a quick 503 that says when to retry."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.storage import S3Storage, StorageError, set_storage
from tests.conftest import auth
from tests.memories.conftest import Couple, new_memory, start_upload

Confirm = Callable[[str], Any]


@pytest.fixture
def confirm_against(
    app: Flask, client: FlaskClient, pair: Couple, s3_endpoint: str
) -> Iterator[Confirm]:
    """Confirm a fresh photo slot with the app's store at an endpoint (s3_endpoint: credentials)."""

    def confirm(endpoint: str) -> Any:
        set_storage(app, S3Storage(bucket="photos", endpoint_url=endpoint))
        memory = new_memory(client)
        slot = start_upload(client, memory["id"]).get_json()
        return client.post(
            f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}/complete",
            headers=auth("alex"),
        )

    yield confirm
    app.extensions["hearth_storage"] = None


def test_storage_down_answers_503_with_retry_after(confirm_against: Confirm) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        done = confirm_against(f"http://127.0.0.1:{unused.getsockname()[1]}")
    assert done.status_code == 503
    assert done.mimetype == "application/problem+json"
    assert int(done.headers["Retry-After"]) > 0


@pytest.fixture
def hung_store() -> Iterator[tuple[str, list[socket.socket]]]:
    """An endpoint that accepts connections and never answers (a frozen or black-holed store)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_hung_store_gets_one_attempt_per_request(
    confirm_against: Confirm, hung_store: tuple[str, list[socket.socket]]
) -> None:
    endpoint, connections = hung_store
    done = confirm_against(endpoint)
    assert done.status_code == 503
    assert int(done.headers["Retry-After"]) > 0
    # One attempt with a short read timeout, not boto's retries of 10-s waits (~40 s in all,
    # past gunicorn's 30-s worker timeout, with the photo's row locked).
    assert len(connections) == 1


class _SlowDown(BaseHTTPRequestHandler):
    """S3 throttling every call (503 SlowDown), counting them."""

    calls: list[str]

    def _answer(self) -> None:
        self.calls.append(self.command)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def throttling_store() -> Iterator[tuple[str, list[str]]]:
    handler = type("Handler", (_SlowDown,), {"calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler.calls
    server.shutdown()
    server.server_close()


def test_jobs_still_retry_the_store_while_requests_do_not(
    confirm_against: Confirm, throttling_store: tuple[str, list[str]]
) -> None:
    endpoint, calls = throttling_store
    assert confirm_against(endpoint).status_code == 503
    assert calls == ["PUT"]  # the copy, tried once
    calls.clear()
    store = S3Storage(bucket="photos", endpoint_url=endpoint)
    with pytest.raises(StorageError):
        store.delete("memories/1/photo")  # as the delete outbox job does, outside a request
    assert calls.count("DELETE") > 1
