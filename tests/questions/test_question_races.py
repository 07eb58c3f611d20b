"""Races on both databases: both partners answering at one instant, and racing first reads."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from api.extensions import db
from api.notifications.models import Notification
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

# Runs on both databases: on SQLite the row locks take the write lock (api/sqlite_locks.py).

ROUNDS = 25


def race(app, requests: list[tuple[str, str, str, Any]]) -> list[tuple[int, Any]]:
    """Send the (method, path, uid, body) requests at once, released by one barrier."""
    barrier = threading.Barrier(len(requests))

    def one(request: tuple[str, str, str, Any]) -> tuple[int, Any]:
        method, path, uid, body = request
        client = app.test_client()
        barrier.wait()
        response = client.open(path, method=method, json=body, headers=auth(uid))
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(one, requests))


def _events(question_id: int, event: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.data["question_id"].as_string() == str(question_id),
                Notification.data["event"].as_string() == event,
            )
        )
    )


def test_both_answering_at_the_same_instant_reveal_once(app, client, pair):
    for round_ in range(ROUNDS):
        if round_:
            # A fresh couple each round (a couple has one question a day).
            a, b = UserFactory(uid=f"a{round_}"), UserFactory(uid=f"b{round_}")
            couple = CoupleFactory(a=a, b=b)
            uids = (a.uid, b.uid)
        else:
            couple, uids = pair.couple, ("alex", "sam")
        question = client.get("/v1/couple/questions/today", headers=auth(uids[0])).get_json()
        path = f"/v1/couple/questions/{question['id']}/answer"
        results = race(
            app,
            [
                ("PUT", path, uid, {"text": f"answer of {uid}", "client_id": str(uuid.uuid4())})
                for uid in uids
            ],
        )
        assert [status for status, _ in results] == [201, 201], results
        # The second writer saw the first under the row lock: its response shows both (the
        # first's may too, when it was read after the second committed).
        assert any(body["partner_answer"] is not None for _, body in results), results
        for uid in uids:
            view = client.get(
                f"/v1/couple/questions/{question['id']}", headers=auth(uid)
            ).get_json()
            assert view["revealed_at"] is not None
            assert view["partner_answer"] is not None
        reveals = _events(question["id"], "question_revealed")
        assert sorted(n.recipient_id for n in reveals) == sorted(
            db.session.get(Couple, couple.id).partner_ids
        )
        assert len(_events(question["id"], "question_answered")) == 1


def test_racing_first_reads_of_the_day_get_one_question(app, client, pair):
    for round_ in range(ROUNDS):
        a, b = UserFactory(uid=f"ra{round_}"), UserFactory(uid=f"rb{round_}")
        couple = CoupleFactory(a=a, b=b)
        path = "/v1/couple/questions/today"
        results = race(app, [("GET", path, uid, None) for uid in (a.uid, b.uid, a.uid, b.uid)])
        assert [status for status, _ in results] == [200] * 4, results
        assert len({body["id"] for _, body in results}) == 1
        rows = db.session.scalar(select(func.count()).where(CoupleQuestion.couple_id == couple.id))
        assert rows == 1
