"""Both partners checking in at the same moment: no duplicate, no lost check-in (both databases)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from api.extensions import db
from api.streaks.models import CheckIn
from tests.conftest import auth
from tests.streaks.conftest import BERLIN, at

# Runs on both databases: on SQLite the row locks take the write lock (api/sqlite_locks.py).

ROUNDS = 15


def race(app, calls):
    """Run the (uid, ritual_id, body) calls at once, each in its own request; the responses."""
    barrier = threading.Barrier(len(calls))

    def one(call):
        uid, ritual_id, body = call
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/v1/couple/rituals/{ritual_id}/check-ins", json=body, headers=auth(uid)
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_partners_checking_in_together_are_both_kept(app, pair, clock):
    clock.set(at(BERLIN, 2026, 3, 2, 18, 0))
    for _ in range(ROUNDS):
        coffee = pair.ritual(completion="both")
        results = race(
            app,
            [
                ("alex", coffee.id, {"client_id": str(uuid.uuid4())}),
                ("sam", coffee.id, {"client_id": str(uuid.uuid4())}),
            ],
        )
        assert [status for status, _ in results] == [201, 201], results
        rows = db.session.scalar(select(func.count()).where(CheckIn.ritual_id == coffee.id))
        assert rows == 2
        streak = pair.streak(coffee)
        assert (streak["completed_today"], streak["current"]) == (True, 1)
        # exactly one of the two partner pushes says "your turn": the second saw the first
        turns = [n for n in pair.feed(pair.alex) + pair.feed(pair.sam) if "your turn" in n["body"]]
        assert len([n for n in turns if n["data"]["ritual_id"] == str(coffee.id)]) == 1


def test_a_retried_check_in_racing_itself_is_written_once(app, pair, clock):
    clock.set(at(BERLIN, 2026, 3, 2, 18, 0))
    for _ in range(ROUNDS):
        kiss = pair.ritual()
        body = {"client_id": str(uuid.uuid4())}
        results = race(app, [("alex", kiss.id, body)] * 3)
        assert sorted(status for status, _ in results) == [200, 200, 201], results
        assert len({payload["id"] for _, payload in results}) == 1
        rows = db.session.scalar(select(func.count()).where(CheckIn.ritual_id == kiss.id))
        assert rows == 1
