"""Erasure vs. words the user's other phone sends meanwhile (PostgreSQL).

Before the erasure locked the user's row first, an affirmation and a gratitude entry sent
between its deletes and the user's DELETE outlived the account (their author set to NULL),
and the partner kept a push naming the erased user.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from api.affirmations.models import AffirmationMessage, GratitudeEntry
from api.extensions import db
from api.notifications.models import Notification
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres


def test_words_sent_while_the_sender_is_erased_do_not_outlive_the_account(app, client):
    sam = UserFactory(uid="sam", display_name="Sam")
    alex = UserFactory(uid="alex", display_name="Alex")
    CoupleFactory(a=sam, b=alex)
    alex_id = alex.id

    def write_from_the_other_phone():
        other = app.test_client()
        sent = other.post(
            "/v1/couple/affirmations",
            json={"text": "secret words", "client_id": str(uuid.uuid4())},
            headers=auth("sam"),
        )
        thanks = other.post(
            "/v1/couple/gratitude",
            json={"text": "secret thanks", "client_id": str(uuid.uuid4())},
            headers=auth("sam"),
        )
        return sent.status_code, thanks.status_code

    with meanwhile(write_from_the_other_phone, before="DELETE FROM users") as answers:
        assert client.delete("/v1/me", headers=auth("sam")).status_code == 204
    db.session.expire_all()
    # "An erased account leaves no text behind" ...
    texts = db.session.scalars(select(AffirmationMessage.text)).all()
    texts += db.session.scalars(select(GratitudeEntry.text)).all()
    # ... and no push to the ex-partner names it (only "Your partner deleted their account").
    events = db.session.scalars(
        select(Notification.data["event"].as_string()).where(Notification.recipient_id == alex_id)
    ).all()
    assert (texts, events) == ([], ["unpaired"])
    # The affirmation waited for the erasure and was refused (401); the gratitude entry came
    # after it, from a new empty account (the token's), which has no couple (404).
    assert answers == [(401, 404)]


def test_words_sent_to_a_partner_being_erased_answer_404_and_keep_nothing(app, client):
    sam = UserFactory(uid="sam", display_name="Sam")
    alex = UserFactory(uid="alex", display_name="Alex")
    CoupleFactory(a=sam, b=alex)

    def alex_sends():
        body = {"text": "secret words", "client_id": str(uuid.uuid4())}
        answer = app.test_client().post("/v1/couple/affirmations", json=body, headers=auth("alex"))
        return answer.status_code, answer.get_json()["type"]

    with meanwhile(alex_sends, before="DELETE FROM users") as answers:
        assert client.delete("/v1/me", headers=auth("sam")).status_code == 204
    db.session.expire_all()
    # The push to Sam waited for the erasure, then found no Sam: the whole write was undone
    # and Alex told what a retry would say (their partner is gone), not a 500.
    assert answers == [(404, "https://hearth.app/problems/not-found")]
    assert db.session.scalars(select(AffirmationMessage.text)).all() == []
