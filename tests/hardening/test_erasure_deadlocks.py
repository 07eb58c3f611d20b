"""An erasure vs. writes that hold a lock the erasure needs later and then point at the user
(a push to them, a foreign-key check: FOR KEY SHARE), on PostgreSQL: never a deadlock.

The erasure's first lock on the user's row was FOR UPDATE, which those writes wait for:
each of these deadlocked (a 503). It is FOR NO KEY UPDATE now, taken after the couple's, in
the order unpairing takes them; the user's own writes wait through lock_own_account.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres


def test_partner_checks_in_on_a_ritual_the_erased_user_created(app, client):
    sam = UserFactory(uid="sam", display_name="Sam")
    alex = UserFactory(uid="alex", display_name="Alex")
    couple = CoupleFactory(a=sam, b=alex)
    ritual_id = RitualFactory(couple=couple, created_by_id=sam.id).id

    def alex_checks_in():
        body = {"client_id": str(uuid.uuid4())}
        answer = app.test_client().post(
            f"/v1/couple/rituals/{ritual_id}/check-ins", json=body, headers=auth("alex")
        )
        return answer.status_code

    # Hold the erasure once it has locked Sam's row, just before it deletes Sam's rituals.
    with meanwhile(alex_checks_in, before="DELETE FROM rituals") as answers:
        erased = client.delete("/v1/me", headers=auth("sam")).status_code
    # Either order is fine (201 first, or 404 after the erasure), never a deadlock's 503.
    assert (erased, answers) in [(204, [201]), (204, [404])]


def test_other_phone_creates_a_ritual_while_the_account_is_erased(app, client):
    sam = UserFactory(uid="sam", display_name="Sam")
    alex = UserFactory(uid="alex", display_name="Alex")
    CoupleFactory(a=sam, b=alex)

    def sam_creates():
        body = {
            "title": "Walk",
            "schedule": {"days": ["mon"], "time": "07:30"},
            "client_id": str(uuid.uuid4()),
        }
        return (
            app.test_client().post("/v1/couple/rituals", json=body, headers=auth("sam")).status_code
        )

    # Hold the erasure once it has locked Sam's row, before it unpairs (UPDATE couples).
    with meanwhile(sam_creates, before="UPDATE couples") as answers:
        erased = client.delete("/v1/me", headers=auth("sam")).status_code
    assert (erased, answers) in [(204, [401]), (204, [404]), (204, [201])]


def test_partner_unpairs_while_the_account_is_erased(app, client):
    sam = UserFactory(uid="sam", display_name="Sam")
    alex = UserFactory(uid="alex", display_name="Alex")
    CoupleFactory(a=sam, b=alex)

    def alex_unpairs():
        return app.test_client().delete("/v1/couple", headers=auth("alex")).status_code

    with meanwhile(alex_unpairs, before="UPDATE couples") as answers:
        erased = client.delete("/v1/me", headers=auth("sam")).status_code
    assert (erased, answers) in [(204, [204]), (204, [404]), (204, [409])]
