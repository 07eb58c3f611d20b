"""Photos through object storage, on both backends: upload, confirm, list, delete everywhere.

After each way a photo can go (its delete, its memory's, the 30-day purge, DELETE /v1/me,
the cleanup of unconfirmed uploads) the test lists the bucket: nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.extensions import db
from api.memories.models import Memory, MemoryPhoto, StorageDeletion
from api.storage import Storage, StorageError, set_storage
from tests.conftest import auth
from tests.memories.conftest import (
    AddPhoto,
    Backend,
    Couple,
    heic,
    jpeg,
    new_memory,
    png,
    start_upload,
    upload_photo,
    upload_urls_expired,
    webp,
)
from workers import memories_jobs, pairing_jobs

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock(clock: Any) -> None:
    clock.set(NOW)


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_upload_confirm_list_fetch_and_delete(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    run_jobs: Callable[[], int],
    clock: Any,
) -> None:
    memory = new_memory(client)
    data = png(4096)
    slot, put = upload_photo(client, backend, memory["id"], data)
    assert put.status_code == 200
    assert slot["upload_method"] == "PUT"
    assert slot["upload_headers"] == {"Content-Type": "image/png"}
    assert slot["expires_at"] == "2026-03-04T09:15:00Z"
    # Not listed before it is confirmed.
    path = f"/v1/couple/memories/{memory['id']}"
    assert client.get(path, headers=auth("sam")).get_json()["photos"] == []
    done = client.post(f"{path}/photos/{slot['id']}/complete", headers=auth("alex"))
    assert done.status_code == 200
    photo = done.get_json()
    assert (photo["content_type"], photo["size_bytes"]) == ("image/png", 4096)
    again = client.post(f"{path}/photos/{slot['id']}/complete", headers=auth("alex"))
    assert again.status_code == 200  # a retried confirmation
    listed = client.get("/v1/couple/memories", headers=auth("sam")).get_json()["items"][0]
    assert [p["id"] for p in listed["photos"]] == [slot["id"]]
    url = listed["photos"][0]["url"]
    assert listed["photos"][0]["url_expires_at"] == "2026-03-04T09:15:00Z"
    fetched = backend.http.get(url)
    assert fetched.status_code == 200
    assert fetched.content == data
    # The uploaded copy is deleted once confirmed (after commit, by the worker's job).
    run_jobs()
    assert backend.keys() == [db.session.get(MemoryPhoto, slot["id"]).key]
    # Deleting the photo deletes the object.
    assert client.delete(f"{path}/photos/{slot['id']}", headers=auth("sam")).status_code == 204
    run_jobs()
    assert backend.keys() == []
    upload_urls_expired(clock, run_jobs)  # the upload URL's second pass
    assert count(StorageDeletion) == 0
    assert client.get(path, headers=auth("alex")).get_json()["photos"] == []


@pytest.mark.parametrize(
    ("data", "declared_type", "sniffed"),
    [
        (jpeg(), "image/jpeg", "image/jpeg"),
        (webp(), "image/webp", "image/webp"),
        (heic(), "image/heic", "image/heic"),
        (png(), "image/jpeg", "image/png"),
    ],
)
def test_the_type_listed_is_the_one_the_bytes_say(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    data: bytes,
    declared_type: str,
    sniffed: str,
) -> None:
    memory = new_memory(client)
    slot, put = upload_photo(client, backend, memory["id"], data, content_type=declared_type)
    assert put.status_code == 200
    done = client.post(
        f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}/complete", headers=auth("alex")
    )
    assert done.status_code == 200
    assert done.get_json()["content_type"] == sniffed


@pytest.mark.parametrize(
    ("data", "declared", "field"),
    [
        (b"GIF89a" + b"\0" * 100, None, "content_type"),
        (b"<html><script>alert(1)</script></html>", None, "content_type"),
        (png(1000), 999, "size_bytes"),
    ],
)
def test_an_upload_that_fails_the_check_is_deleted(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    run_jobs: Callable[[], int],
    data: bytes,
    declared: int | None,
    field: str,
) -> None:
    memory = new_memory(client)
    slot, put = upload_photo(client, backend, memory["id"], data, declared=declared)
    assert put.status_code == 200
    assert len(backend.keys()) == 1
    path = f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}"
    refused = client.post(f"{path}/complete", headers=auth("alex"))
    assert refused.status_code == 422
    assert field in refused.get_json()["errors"]
    run_jobs()
    assert backend.keys() == []
    assert count(MemoryPhoto) == 0
    assert client.post(f"{path}/complete", headers=auth("alex")).status_code == 404


def test_an_object_over_10_mb_is_deleted(
    client: FlaskClient, backend: Backend, pair: Couple, run_jobs: Callable[[], int]
) -> None:
    """A presigned S3 PUT cannot cap the size: the confirmation catches it and deletes it."""
    memory = new_memory(client)
    response = start_upload(client, memory["id"], size_bytes=1000)
    slot = response.get_json()
    big = png(10 * 1024 * 1024 + 1)
    put = backend.http.put(slot["upload_url"], content=big, headers=slot["upload_headers"])
    if backend.name == "local":
        assert put.status_code == 413  # the app refuses it while it streams
        assert backend.keys() == []
        return
    assert put.status_code == 200
    refused = client.post(
        f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}/complete", headers=auth("alex")
    )
    assert refused.status_code == 422
    run_jobs()
    assert backend.keys() == []


def test_declared_type_and_size_are_checked_up_front(
    client: FlaskClient, backend: Backend, pair: Couple
) -> None:
    memory = new_memory(client)
    path = f"/v1/couple/memories/{memory['id']}/photos"
    for body, field in (
        ({"content_type": "image/gif", "size_bytes": 10}, "content_type"),
        ({"content_type": "image/png", "size_bytes": 10 * 1024 * 1024 + 1}, "size_bytes"),
        ({"content_type": "image/png", "size_bytes": 0}, "size_bytes"),
    ):
        response = client.post(path, json=body, headers=auth("alex"))
        assert response.status_code == 422
        assert field in response.get_json()["errors"]
    assert count(MemoryPhoto) == 0


def test_confirming_before_uploading_is_a_409_and_keeps_the_slot(
    client: FlaskClient, backend: Backend, pair: Couple
) -> None:
    memory = new_memory(client)
    response = start_upload(client, memory["id"])
    slot = response.get_json()
    early = client.post(
        f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}/complete", headers=auth("alex")
    )
    assert early.status_code == 409
    assert count(MemoryPhoto) == 1


def test_at_most_10_photos_per_memory(
    client: FlaskClient, backend: Backend, pair: Couple, add_photo: AddPhoto
) -> None:
    memory = new_memory(client)
    for _ in range(10):
        add_photo(memory["id"])
    eleventh = start_upload(client, memory["id"], uid="sam")
    assert eleventh.status_code == 409
    got = client.get(f"/v1/couple/memories/{memory['id']}", headers=auth("sam")).get_json()
    assert len(got["photos"]) == 10
    assert len(backend.keys()) == 10


def test_deleting_a_memory_deletes_its_objects(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    add_photo: AddPhoto,
    run_jobs: Callable[[], int],
    clock: Any,
) -> None:
    memory = new_memory(client)
    other = new_memory(client, title="Another day")
    add_photo(memory["id"])
    add_photo(memory["id"], jpeg())
    kept = add_photo(other["id"])
    # A started upload whose URL still works: deleted now, and again when its URL expires.
    upload_photo(client, backend, memory["id"], png())
    assert len(backend.keys()) == 4
    assert (
        client.delete(f"/v1/couple/memories/{memory['id']}", headers=auth("alex")).status_code
        == 204
    )
    run_jobs()
    assert backend.keys() == [db.session.get(MemoryPhoto, kept["id"]).key]
    # Left: each upload URL's second pass, at its expiry (the pending upload's, and those of
    # the confirmed photos' URLs, which could still write to their incoming keys).
    assert count(StorageDeletion) == 4
    upload_urls_expired(clock, run_jobs)
    assert count(StorageDeletion) == 0


def test_a_failed_storage_delete_is_retried_by_the_clock(
    app: Flask,
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    add_photo: AddPhoto,
    clock: Any,
) -> None:
    memory = new_memory(client)
    add_photo(memory["id"])
    clock.advance(minutes=17)
    memories_jobs.delete_stored_objects()  # the upload URL's second pass, out of the way
    real = backend.storage
    set_storage(app, _Down(real))
    assert (
        client.delete(f"/v1/couple/memories/{memory['id']}", headers=auth("alex")).status_code
        == 204
    )
    assert memories_jobs.delete_stored_objects() == 0
    row = db.session.scalars(select(StorageDeletion)).one()
    assert row.attempts == 1
    assert row.last_error and "unreachable" in row.last_error
    assert len(real.keys()) == 1  # still there, and not forgotten
    # Storage is back; the clock's next run after the backoff deletes it.
    set_storage(app, real)
    assert memories_jobs.delete_stored_objects() == 0  # not due yet (1 minute backoff)
    clock.advance(minutes=1)
    assert memories_jobs.delete_stored_objects() == 1
    assert real.keys() == []
    assert count(StorageDeletion) == 0


class _Down:
    """A store whose deletes fail, as an unreachable S3 would."""

    def __init__(self, real: Storage) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def delete(self, key: str) -> None:
        raise StorageError("S3 unreachable: connection refused")


def test_unconfirmed_uploads_are_cleaned_up_after_a_day(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    add_photo: AddPhoto,
    clock: Any,
) -> None:
    memory = new_memory(client)
    confirmed = add_photo(memory["id"])
    upload_photo(client, backend, memory["id"], png())  # uploaded, never confirmed
    start_upload(client, memory["id"], size_bytes=50)  # never even uploaded
    assert len(backend.keys()) == 2
    clock.advance(hours=23)
    assert memories_jobs.cleanup_unconfirmed_uploads() == 0
    clock.advance(hours=1, seconds=1)
    assert memories_jobs.cleanup_unconfirmed_uploads() == 2
    memories_jobs.delete_stored_objects()
    assert len(backend.keys()) == 1
    photos = client.get(f"/v1/couple/memories/{memory['id']}", headers=auth("alex")).get_json()
    assert [p["id"] for p in photos["photos"]] == [confirmed["id"]]
    assert count(StorageDeletion) == 0


def test_the_30_day_purge_deletes_the_couples_objects(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    add_photo: AddPhoto,
    clock: Any,
    run_jobs: Callable[[], int],
) -> None:
    memory = new_memory(client)
    add_photo(memory["id"])
    add_photo(memory["id"], webp())
    assert client.delete("/v1/couple", headers=auth("sam")).status_code == 204
    clock.advance(days=30, minutes=1)
    assert pairing_jobs.purge_unpaired_couples() == 1
    assert count(Memory) == 0
    assert count(MemoryPhoto) == 0
    run_jobs()
    assert backend.keys() == []
    assert count(StorageDeletion) == 0


def test_erasing_an_account_deletes_the_memories_it_created_and_their_objects(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    add_photo: AddPhoto,
    run_jobs: Callable[[], int],
    clock: Any,
) -> None:
    mine = new_memory(client, "alex", title="alex's")
    theirs = new_memory(client, "sam", title="sam's")
    add_photo(mine["id"])
    # sam's photo on alex's memory goes with alex's memory; alex's photo on sam's stays.
    add_photo(mine["id"], uid="sam")
    kept = add_photo(theirs["id"], uid="alex")
    assert client.delete("/v1/me", headers=auth("alex")).status_code == 204
    run_jobs()
    remaining = db.session.scalars(select(Memory.title)).all()
    assert remaining == ["sam's"]
    assert len(backend.keys()) == 1
    assert db.session.scalars(select(MemoryPhoto.id)).all() == [kept["id"]]
    upload_urls_expired(clock, run_jobs)  # the upload URLs' second passes
    assert count(StorageDeletion) == 0


def test_the_upload_url_cannot_replace_a_checked_photo(
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    run_jobs: Callable[[], int],
    clock: Any,
) -> None:
    """The upload URL lives 15 minutes; once the photo is confirmed, a PUT through it (a
    script, a file of another size) lands beside the photo, never in place of it."""
    memory = new_memory(client)
    data = png(300)
    slot, _ = upload_photo(client, backend, memory["id"], data)
    path = f"/v1/couple/memories/{memory['id']}"
    assert (
        client.post(f"{path}/photos/{slot['id']}/complete", headers=auth("alex")).status_code == 200
    )
    run_jobs()
    script = b"<html><script>alert(1)</script></html>" * 50
    again = backend.http.request(
        slot["upload_method"], slot["upload_url"], content=script, headers=slot["upload_headers"]
    )
    assert again.status_code == 200  # the URL still works: S3 cannot revoke it
    listed = client.get(path, headers=auth("sam")).get_json()["photos"][0]
    assert (listed["size_bytes"], backend.http.get(listed["url"]).content) == (300, data)
    upload_urls_expired(clock, run_jobs)  # and what it wrote goes at the URL's expiry
    assert backend.keys() == [db.session.get(MemoryPhoto, slot["id"]).key]
    assert count(StorageDeletion) == 0


def test_a_photo_uploaded_to_its_own_key_before_incoming_keys_still_confirms(
    client: FlaskClient, backend: Backend, pair: Couple
) -> None:
    """Upload URLs handed out before the release that added incoming keys wrote the photo's
    own key; such a photo, confirmed after it, is checked where it is."""
    memory = new_memory(client)
    data = png(200)
    slot, _ = upload_photo(client, backend, memory["id"], data)
    photo = db.session.get(MemoryPhoto, slot["id"])
    assert backend.storage.copy(f"incoming/{photo.key}", photo.key)
    backend.storage.delete(f"incoming/{photo.key}")
    path = f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}/complete"
    done = client.post(path, headers=auth("alex"))
    assert (done.status_code, done.get_json()["size_bytes"]) == (200, 200)


def test_the_declared_type_is_case_insensitive(
    client: FlaskClient, backend: Backend, pair: Couple
) -> None:
    memory = new_memory(client)
    started = start_upload(client, memory["id"], content_type="IMAGE/JPEG")
    assert started.status_code == 201
    assert started.get_json()["upload_headers"] == {"Content-Type": "image/jpeg"}
