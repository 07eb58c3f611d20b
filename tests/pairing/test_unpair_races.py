"""Unpairing while the partner writes (PostgreSQL): nothing about the couple is pushed after.

Unpairing suppresses what was pending for both partners, but a write of the partner that
commits between that UPDATE and the unpair's COMMIT adds a pending push the UPDATE never
saw. Each push names the couple it is about, and the delivery's claim sends it only while
the recipient is still in that couple: not once unpaired, and not after pairing anew.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from tests.conftest import auth
from tests.factories import CoupleFactory, DeviceFactory, UserFactory
from tests.pairing.util import pair
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres


def _unpair_while_sam_sends_an_affirmation(app, client) -> None:
    """alex unpairs; sam's affirmation commits between the unpair's UPDATE and its COMMIT."""

    def sams_affirmation() -> int:
        body = {"text": "thinking of you", "client_id": str(uuid.uuid4())}
        answer = app.test_client().post("/v1/couple/affirmations", json=body, headers=auth("sam"))
        return answer.status_code

    with meanwhile(sams_affirmation, before="UPDATE notifications", after=True) as answers:
        assert client.delete("/v1/couple", headers=auth("alex")).status_code == 204
    assert answers == [201]


def test_a_push_written_while_the_couple_unpairs_is_never_sent(app, client, run_jobs):
    alex = UserFactory(uid="alex", display_name="Alex")
    sam = UserFactory(uid="sam", display_name="Sam")
    CoupleFactory(a=alex, b=sam)
    DeviceFactory(user=alex)
    DeviceFactory(user=sam)
    alex_id, sam_id = alex.id, sam.id

    _unpair_while_sam_sends_an_affirmation(app, client)
    run_jobs()
    db.session.expire_all()
    pushed = db.session.execute(
        select(Notification.recipient_id, Notification.category, Notification.status)
    ).all()
    assert sorted(pushed) == sorted(
        [(alex_id, "affirmation", "suppressed"), (sam_id, "pairing", "sent")]
    )


def test_a_push_written_while_the_couple_unpairs_is_not_sent_after_pairing_anew(
    app, client, run_jobs
):
    alex = UserFactory(uid="alex", display_name="Alex")
    sam = UserFactory(uid="sam", display_name="Sam")
    CoupleFactory(a=alex, b=sam)
    DeviceFactory(user=alex)
    alex_id = alex.id

    _unpair_while_sam_sends_an_affirmation(app, client)
    # No worker ran (down, or behind) until after alex paired with robin.
    pair(client, "robin", "alex")
    run_jobs()
    db.session.expire_all()
    affirmation = db.session.scalars(
        select(Notification).where(
            Notification.recipient_id == alex_id, Notification.category == "affirmation"
        )
    ).one()
    assert (affirmation.status, affirmation.sent_at) == ("suppressed", None)
