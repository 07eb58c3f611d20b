"""A photo and its memory changing at once (PostgreSQL): the store keeps exactly their objects.

Each case stops one transaction just before its DELETE and meanwhile runs the other request
from another thread, the interleaving in which the DELETE's earlier statements (the keys it
queued for deletion) no longer describe what it deletes. Before the fix, a photo upload
started there left its object in the store for ever (its row went by cascade, its key never
queued), and a photo confirmed there stayed listed with its object deleted. Now the deleting
transaction locks its rows first, so the other request waits for it and answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api.extensions import db
from api.memories.models import MemoryPhoto
from api.memories.service import UPLOAD_EXPIRES
from tests.conftest import auth
from tests.memories.conftest import Backend, Couple, new_memory, png, upload_photo
from tests.race_helpers import meanwhile
from workers import memories_jobs

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def assert_store_holds_exactly_the_photos(
    run_jobs: Callable[[], int], clock: Any, backend: Backend
):
    """After every deletion fell due (the second one of a pending upload too), the store's
    keys are those of the photo rows: nothing orphaned, nothing listed without its object."""
    run_jobs()
    clock.advance(seconds=(UPLOAD_EXPIRES + timedelta(minutes=2)).total_seconds())
    memories_jobs.delete_stored_objects()
    assert sorted(backend.keys()) == sorted(db.session.scalars(select(MemoryPhoto.key)))


def _start_upload(app: Flask, backend: Backend, memory_id: int, uid: str) -> int:
    """The phone's upload: start it and, when it answers 201, PUT the bytes."""
    data = png()
    response = app.test_client().post(
        f"/v1/couple/memories/{memory_id}/photos",
        json={"content_type": "image/png", "size_bytes": len(data)},
        headers=auth(uid),
    )
    if response.status_code == 201:
        slot = response.get_json()
        put = backend.http.request(
            slot["upload_method"], slot["upload_url"], content=data, headers=slot["upload_headers"]
        )
        assert put.status_code == 200, put.text
    return response.status_code


@pytest.mark.parametrize(
    "delete",
    [
        pytest.param(lambda client, memory: f"/v1/couple/memories/{memory}", id="its memory"),
        pytest.param(lambda client, memory: "/v1/me", id="its author's account"),
    ],
)
def test_an_upload_started_while_its_memory_is_deleted_leaves_no_object(
    app: Flask,
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    clock: Any,
    run_jobs: Callable[[], int],
    delete: Callable[[FlaskClient, int], str],
) -> None:
    clock.set(NOW)
    memory = new_memory(client, "alex")
    upload = lambda: _start_upload(app, backend, memory["id"], "sam")  # noqa: E731
    with meanwhile(upload, before="DELETE FROM memories") as answers:
        assert client.delete(delete(client, memory["id"]), headers=auth("alex")).status_code == 204
    assert_store_holds_exactly_the_photos(run_jobs, clock, backend)
    assert answers == [404]  # the upload waited for the delete, then found no memory


def test_a_photo_confirmed_while_the_stale_uploads_are_cleaned_stays_whole(
    app: Flask,
    client: FlaskClient,
    backend: Backend,
    pair: Couple,
    clock: Any,
    run_jobs: Callable[[], int],
) -> None:
    clock.set(NOW)
    memory = new_memory(client, "alex")
    slot, put = upload_photo(client, backend, memory["id"], png())
    assert put.status_code == 200
    clock.advance(hours=24, seconds=1)  # unconfirmed for a day: the cleanup's to remove

    def confirm() -> int:
        path = f"/v1/couple/memories/{memory['id']}/photos/{slot['id']}/complete"
        return app.test_client().post(path, headers=auth("alex")).status_code

    with meanwhile(confirm, before="DELETE FROM memory_photos") as answers:
        removed = memories_jobs.cleanup_unconfirmed_uploads()
    assert_store_holds_exactly_the_photos(run_jobs, clock, backend)
    assert (removed, answers) == (1, [404])  # the confirmation waited, then found no photo
