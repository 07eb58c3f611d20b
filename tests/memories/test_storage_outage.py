"""Photo confirmation while the object store is down: a quick 503 that says when to retry."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.storage import S3Storage, set_storage
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
