"""Erasure vs. an answer sent meanwhile from the user's other phone (PostgreSQL).

The answer went with the account (cascade), but its push to the partner, which names the
erased user, stayed. The answer now takes lock_own_account first: it waits for the erasure
and answers 401.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres


def test_an_answer_sent_while_its_author_is_erased_leaves_no_push_naming_them(app, pair):
    question_id = pair.today(pair.sam)["id"]

    def sam_answers() -> int:
        other_phone = app.test_client()
        return other_phone.put(
            f"/v1/couple/questions/{question_id}/answer",
            json={"text": "The sea at dawn", "client_id": "5f0c2a1e-8d5b-4c1e-9a7e-2b3c4d5e6f70"},
            headers=pair.sam,
        ).status_code

    with meanwhile(sam_answers, before="DELETE FROM users") as answers:
        assert pair.client.delete("/v1/me", headers=pair.sam).status_code == 204
    db.session.expire_all()
    events = db.session.scalars(
        select(Notification.data["event"].as_string()).where(
            Notification.recipient_id == pair.alex_id
        )
    ).all()
    assert (answers, events) == ([401], ["unpaired"])
