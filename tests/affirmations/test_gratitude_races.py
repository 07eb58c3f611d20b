"""Two gratitude entries of one author at once (PostgreSQL, both of their phones): the cap holds.

Counted before anything locked, both saw one entry short of the cap and both were kept.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from api.affirmations import service as affirmations
from api.affirmations.models import GratitudeEntry
from api.extensions import db
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres


def _add(client) -> int:
    body = {"text": "thank you", "client_id": str(uuid.uuid4())}
    return client.post("/v1/couple/gratitude", json=body, headers=auth("alex")).status_code


def test_two_entries_at_once_keep_the_cap(app, client, monkeypatch):
    monkeypatch.setattr(affirmations, "GRATITUDE_PER_AUTHOR", 3)
    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    assert [_add(client), _add(client)] == [201, 201]
    other_phone = lambda: _add(app.test_client())  # noqa: E731
    with meanwhile(other_phone, before="INSERT INTO gratitude_entries") as answers:
        first = _add(client)
    kept = db.session.scalar(select(func.count()).select_from(GratitudeEntry))
    assert (kept, sorted([first, *answers])) == (3, [201, 409])
