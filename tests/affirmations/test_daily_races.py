"""Two first reads of a user's day at once (PostgreSQL, both of their phones): one pick holds.

The day's read runs in autocommit (@read_only) and commits out of it before the pick: the
unique (user, day) still decides, and the loser reads the winner's pick.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.affirmations.models import DailySuggestion
from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from tests.conftest import auth
from tests.factories import UserFactory
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _daily(client) -> tuple[int, str]:
    response = client.get("/v1/affirmations/daily", headers=auth("alex"))
    return response.status_code, response.get_data(as_text=True)


def test_two_first_reads_at_once_answer_the_same_pick(app, client):
    import_content(db.session, load(CONTENT))
    UserFactory(uid="alex")
    other_phone = lambda: _daily(app.test_client())  # noqa: E731
    with meanwhile(other_phone, before="INSERT INTO daily_suggestions") as answers:
        first = _daily(client)
    assert first[0] == 200 and answers == [first]
    assert db.session.scalar(select(func.count()).select_from(DailySuggestion)) == 1
    assert _daily(client) == first  # the pick read again, in one SELECT


def test_a_first_read_whose_account_is_erased_meanwhile_answers_401(app, client):
    """The read's user is a snapshot (api/auth.py): the deleted-meanwhile handler finds the
    account gone by g.user_id, with nothing of the read kept."""
    import_content(db.session, load(CONTENT))
    UserFactory(uid="alex")
    db.session.commit()
    erase = lambda: app.test_client().delete("/v1/me", headers=auth("alex")).status_code  # noqa: E731
    with meanwhile(erase, before="INSERT INTO daily_suggestions") as answers:
        status, body = _daily(client)
    assert answers == [204]
    assert status == 401, body
    assert db.session.scalar(select(func.count()).select_from(DailySuggestion)) == 0
