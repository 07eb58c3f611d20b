"""Erasure vs. a memory and its photo made meanwhile by the user's other phone (PostgreSQL).

The erasure locks the user's row before it reads anything: a write started after that waits,
then fails on its foreign key to the erased user and answers 401, keeping nothing. Before,
the row was locked only by the final DELETE, and a memory made in between went by cascade
with its photo's key never queued: the object outlived the account.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.conftest import auth
from tests.memories.test_photo_races import _start_upload, assert_store_holds_exactly_the_photos
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def test_a_memory_and_upload_made_while_its_author_is_erased_leave_no_object(
    app, client, backend, pair, clock, run_jobs
):
    clock.set(NOW)

    def new_memory_with_upload():
        body = {"title": "t", "happened_on": "2024-06-01", "client_id": str(uuid.uuid4())}
        made = app.test_client().post("/v1/couple/memories", json=body, headers=auth("alex"))
        if made.status_code != 201:
            return made.status_code, made.get_json()["type"]
        return 201, _start_upload(app, backend, made.get_json()["id"], "alex")

    with meanwhile(new_memory_with_upload, before="DELETE FROM users") as answers:
        assert client.delete("/v1/me", headers=auth("alex")).status_code == 204
    assert_store_holds_exactly_the_photos(run_jobs, clock, backend)
    # The other phone waited for the erasure, then was told its account is gone.
    assert answers == [(401, "https://hearth.app/problems/unauthenticated")]
