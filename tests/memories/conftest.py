"""Fixtures of the memories tests: both storage backends, a real S3 protocol server, photos."""

from __future__ import annotations

import os
import socket
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.storage import LocalStorage, S3Storage, Storage, set_storage
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

BACKENDS = ("local", "s3")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1: the real protocol over HTTP, not a mock of boto3."""
    from moto.server import ThreadedMotoServer

    # Credentials the server accepts; never real ones.
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ[name] = value
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@dataclass
class Backend:
    """A storage backend under test, and how to reach its URLs."""

    name: str
    storage: Storage
    http: httpx.Client

    def keys(self) -> list[str]:
        return self.storage.keys()


def make_backend(name: str, app: Flask, tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    """The backend called name, bound to app for this test."""
    if name == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        store: Storage = S3Storage(bucket=f"hearth-{uuid.uuid4().hex[:12]}", endpoint_url=endpoint)
        store.client.create_bucket(Bucket=store.bucket)  # type: ignore[attr-defined]
        http = httpx.Client(timeout=10)
    else:
        store = LocalStorage(
            root=tmp_path / "objects", signing_key="test-key", base_url=lambda: "http://localhost/"
        )
        # The app itself serves the local folder's URLs: httpx talks to it in-process.
        http = httpx.Client(
            transport=httpx.WSGITransport(app=app), base_url="http://localhost", timeout=10
        )
    set_storage(app, store)
    return Backend(name, store, http)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[Backend]:
    """Each test using this runs once per backend."""
    made = make_backend(request.param, app, tmp_path, request)
    yield made
    made.http.close()
    app.extensions["hearth_storage"] = None


def png(size: int = 0) -> bytes:
    """A real 1x1 PNG, padded with a trailing chunk to size bytes if asked."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )
    if size > len(raw):
        raw += b"\x00" * (size - len(raw))
    return raw


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


def webp() -> bytes:
    payload = b"VP8 " + b"\x00" * 40
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def heic() -> bytes:
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", 8 + len(ftyp)) + ftyp + b"\x00" * 64


@dataclass
class Couple:
    """Couple A (alex, sam) with the ids of its partners."""

    id: int
    alex: int
    sam: int


@pytest.fixture
def pair() -> Couple:
    """alex and sam, paired; Europe/Berlin."""
    couple = CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    return Couple(couple.id, couple.user_a_id, couple.user_b_id)


def new_memory(client: FlaskClient, uid: str = "alex", **fields: Any) -> dict[str, Any]:
    """POST a memory (201) and return it."""
    body = {
        "title": "Our first trip",
        "happened_on": "2024-06-01",
        "client_id": str(uuid.uuid4()),
        **fields,
    }
    response = client.post("/v1/couple/memories", json=body, headers=auth(uid))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def start_upload(
    client: FlaskClient,
    memory_id: int,
    *,
    content_type: str = "image/png",
    size_bytes: int = 100,
    uid: str = "alex",
) -> Any:
    """POST a photo slot (the upload's first step); returns the response."""
    return client.post(
        f"/v1/couple/memories/{memory_id}/photos",
        json={"content_type": content_type, "size_bytes": size_bytes},
        headers=auth(uid),
    )


def upload_photo(
    client: FlaskClient,
    backend: Backend,
    memory_id: int,
    data: bytes,
    *,
    uid: str = "alex",
    content_type: str = "image/png",
    declared: int | None = None,
) -> tuple[dict[str, Any], httpx.Response]:
    """Start an upload, PUT the bytes to the presigned URL; (the 201 body, the PUT's answer)."""
    response = start_upload(
        client, memory_id, content_type=content_type, size_bytes=declared or len(data), uid=uid
    )
    assert response.status_code == 201, response.get_json()
    slot = response.get_json()
    put = backend.http.request(
        slot["upload_method"], slot["upload_url"], content=data, headers=slot["upload_headers"]
    )
    return slot, put


AddPhoto = Callable[..., dict[str, Any]]


@pytest.fixture
def add_photo(client: FlaskClient, backend: Backend, run_jobs: Callable[[], int]) -> AddPhoto:
    """Upload and confirm a photo, then run the jobs (the uploaded copy's deletion among
    them, as a worker would right after the confirmation); returns the confirmed photo."""

    def add(memory_id: int, data: bytes | None = None, uid: str = "alex") -> dict[str, Any]:
        slot, put = upload_photo(client, backend, memory_id, data or png(), uid=uid)
        assert put.status_code == 200, put.text
        done = client.post(
            f"/v1/couple/memories/{memory_id}/photos/{slot['id']}/complete", headers=auth(uid)
        )
        assert done.status_code == 200, done.get_json()
        run_jobs()
        return done.get_json()

    return add


def upload_urls_expired(clock: Any, run_jobs: Callable[[], int]) -> None:
    """Run the jobs, then the clock's deletions due once every upload URL has expired: the
    second pass each started upload gets, for bytes PUT after the first."""
    from workers import memories_jobs

    run_jobs()
    clock.advance(minutes=17)
    memories_jobs.delete_stored_objects()
