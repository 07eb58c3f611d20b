"""Uploads started at one instant never take more than a memory's ten slots (both databases)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from api.extensions import db
from api.memories.models import MemoryPhoto
from api.memories.service import MAX_PHOTOS
from tests.memories.conftest import new_memory, start_upload

AT_ONCE = 14


def test_fourteen_uploads_at_once_take_ten_slots_and_four_409s(app, client, pair, backend):
    memory = new_memory(client)
    barrier = threading.Barrier(AT_ONCE)

    def one(uid: str) -> int:
        mine = app.test_client()
        barrier.wait()
        return start_upload(mine, memory["id"], uid=uid).status_code

    with ThreadPoolExecutor(AT_ONCE) as pool:
        statuses = list(pool.map(one, ["alex", "sam"] * (AT_ONCE // 2)))

    assert sorted(statuses) == [201] * MAX_PHOTOS + [409] * (AT_ONCE - MAX_PHOTOS)
    taken = db.session.scalar(
        select(func.count()).select_from(MemoryPhoto).where(MemoryPhoto.memory_id == memory["id"])
    )
    assert taken == MAX_PHOTOS
