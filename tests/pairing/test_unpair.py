"""DELETE /v1/couple (unpair) and DELETE /v1/me while paired."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.extensions import db
from api.notifications.models import Notification
from api.notifications.service import notify
from api.pairing.models import Couple, Invite
from api.users.models import User
from tests.conftest import auth
from tests.factories import DeviceFactory, couple_id_of
from tests.pairing.util import assert_problem, invite, me, pair

T0 = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


def feed(client, uid):
    return client.get("/v1/notifications", headers=auth(uid)).get_json()["items"]


def test_unpair_ends_the_couple_for_both_and_tells_the_partner(client, clock, run_jobs):
    clock.set(T0)
    client.patch("/v1/me", json={"display_name": "Alex"}, headers=auth("alex"))
    couple = pair(client, "alex", "sam")
    DeviceFactory(user_id=me(client, "sam")["id"])
    clock.advance(hours=1)
    assert client.delete("/v1/couple", headers=auth("alex")).status_code == 204
    for uid in ("alex", "sam"):
        assert_problem(client.get("/v1/couple", headers=auth(uid)), 404)
        assert me(client, uid)["couple_id"] is None
    run_jobs()
    told = feed(client, "sam")
    assert [n["category"] for n in told] == ["pairing"]
    assert "Alex" in told[0]["body"]
    row = db.session.scalars(
        select(Notification).where(Notification.body.contains("unpaired"))
    ).one()
    assert row.status == "sent"
    assert row.data == {"event": "unpaired", "couple_id": str(couple["id"])}
    # The one who left is not told; they only have the "paired" push from before.
    assert all("unpaired" not in n["body"] for n in feed(client, "alex"))
    assert db.session.get(Couple, couple["id"]).unpaired_at == T0 + timedelta(hours=1)


def test_unpair_twice_is_404(client):
    pair(client, "alex", "sam")
    assert client.delete("/v1/couple", headers=auth("sam")).status_code == 204
    assert_problem(client.delete("/v1/couple", headers=auth("sam")), 404)
    assert_problem(client.delete("/v1/couple", headers=auth("alex")), 404)


def test_both_may_pair_again_at_once_and_never_see_the_old_data(client):
    old = pair(client, "alex", "sam")
    entry = {"text": "Thank you for the soup", "client_id": str(uuid.uuid4())}
    assert client.post("/v1/couple/gratitude", json=entry, headers=auth("sam")).status_code == 201
    client.delete("/v1/couple", headers=auth("sam"))
    # Unreachable at once:
    assert_problem(client.get("/v1/couple/gratitude", headers=auth("alex")), 404)
    # Each pairs again straight away, with someone new...
    alex_new = pair(client, "alex", "kim")
    sam_new = pair(client, "lee", "sam")
    assert len({old["id"], alex_new["id"], sam_new["id"]}) == 3
    for uid in ("alex", "kim", "sam", "lee"):
        assert client.get("/v1/couple/gratitude", headers=auth(uid)).get_json()["items"] == []
    # ...or with each other again: a new couple, still without the old data.
    client.delete("/v1/couple", headers=auth("alex"))
    client.delete("/v1/couple", headers=auth("sam"))
    again = pair(client, "sam", "alex")
    assert again["id"] not in {old["id"], alex_new["id"], sam_new["id"]}
    assert again["anniversary"] is None
    assert client.get("/v1/couple/gratitude", headers=auth("alex")).get_json()["items"] == []


def test_unpair_revokes_live_invites_made_before(client):
    stale = invite(client, "alex")  # made while single...
    assert (
        client.post(
            "/v1/couple", json={"code": invite(client, "sam")}, headers=auth("alex")
        ).status_code
        == 201
    )
    client.delete("/v1/couple", headers=auth("sam"))
    # ...must not pair anyone with alex after the couple ends.
    assert_problem(client.post("/v1/couple", json={"code": stale}, headers=auth("kim")), 404)
    live = db.session.scalar(
        select(func.count())
        .select_from(Invite)
        .where(Invite.used_at.is_(None), Invite.revoked_at.is_(None))
    )
    assert live == 0


def test_pending_pushes_of_the_couple_are_never_sent_after_unpair(client, clock, run_jobs):
    clock.set(T0)
    couple = pair(client, "alex", "sam")
    sam = db.session.scalar(select(User).where(User.uid == "sam"))
    DeviceFactory(user_id=sam.id)
    # e.g. an affirmation held back by sam's quiet hours
    notify(
        db.session,
        recipient_id=sam.id,
        couple_id=couple_id_of(sam),
        category="affirmation",
        title="Hearth",
        body="Alex sent you an affirmation",
        data={"couple_id": str(couple["id"])},
        dedupe_key="held-back",
        deliver_after=T0 + timedelta(hours=8),
    )
    db.session.commit()
    client.delete("/v1/couple", headers=auth("alex"))
    clock.advance(hours=9)
    run_jobs()
    held = db.session.scalars(
        select(Notification).where(Notification.dedupe_key == "held-back")
    ).one()
    assert held.status == "suppressed"
    assert held.sent_at is None


@pytest.mark.parametrize("repairs", [False, True], ids=["alone", "paired-anew"])
def test_a_push_about_the_old_couple_left_pending_is_never_sent(client, clock, run_jobs, repairs):
    """What an unpair race leaves pending (tests/pairing/test_unpair_races.py writes it for
    real on PostgreSQL) stays unsent once sam has left that couple, even after pairing anew."""
    clock.set(T0)
    old = pair(client, "alex", "sam")
    sam = db.session.scalar(select(User).where(User.uid == "sam"))
    DeviceFactory(user_id=sam.id)
    assert client.delete("/v1/couple", headers=auth("alex")).status_code == 204
    # Written by alex's phone as the unpair committed, held back by sam's quiet hours.
    notify(
        db.session,
        recipient_id=sam.id,
        couple_id=old["id"],
        category="affirmation",
        title="Hearth",
        body="Alex sent you an affirmation",
        dedupe_key="left-pending",
        deliver_after=T0 + timedelta(hours=8),
    )
    db.session.commit()
    if repairs:
        pair(client, "robin", "sam")
    clock.advance(hours=9)
    run_jobs()
    db.session.expire_all()
    held = db.session.scalars(
        select(Notification).where(Notification.dedupe_key == "left-pending")
    ).one()
    assert (held.status, held.last_error, held.sent_at) == ("suppressed", "couple unpaired", None)
    # What the new couple writes is sent as ever.
    if repairs:
        robin = db.session.scalar(select(User).where(User.uid == "robin"))
        DeviceFactory(user_id=robin.id)
        body = {"text": "glad we found each other", "client_id": str(uuid.uuid4())}
        answer = client.post("/v1/couple/affirmations", json=body, headers=auth("sam"))
        assert answer.status_code == 201, answer.get_json()
        run_jobs()
        statuses = db.session.scalars(
            select(Notification.status).where(
                Notification.recipient_id == robin.id, Notification.category == "affirmation"
            )
        ).all()
        assert statuses == ["sent"]


def test_erasing_a_paired_account_unpairs_first_and_tells_the_partner(client, run_jobs):
    client.patch("/v1/me", json={"display_name": "Eve"}, headers=auth("eve"))
    couple = pair(client, "eve", "sam")
    DeviceFactory(user_id=me(client, "sam")["id"])
    assert client.delete("/v1/me", headers=auth("eve")).status_code == 204
    run_jobs()
    told = [n for n in feed(client, "sam") if "deleted their account" in n["body"]]
    # Told, but not by name: the account's name is personal data, and it is being erased.
    assert len(told) == 1 and "Eve" not in told[0]["body"]
    assert_problem(client.get("/v1/couple", headers=auth("sam")), 404)
    assert me(client, "sam")["couple_id"] is None
    assert db.session.scalar(select(User).where(User.uid == "eve")) is None
    row = db.session.get(Couple, couple["id"])
    assert row.unpaired_at is not None
    assert row.user_a_id is None  # eve's id is gone from the couple too
    # sam may pair again at once; eve's uid comes back as a new, single account.
    assert pair(client, "kim", "sam")["id"] != couple["id"]
    assert me(client, "eve")["couple_id"] is None


def test_erasing_an_account_kills_its_invite(client):
    code = invite(client, "eve")
    assert client.delete("/v1/me", headers=auth("eve")).status_code == 204
    assert_problem(client.post("/v1/couple", json={"code": code}, headers=auth("sam")), 404)
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_erasing_an_unpaired_account_tells_nobody(client):
    pair(client, "eve", "sam")
    client.delete("/v1/couple", headers=auth("sam"))
    sam_before = feed(client, "sam")
    assert client.delete("/v1/me", headers=auth("eve")).status_code == 204
    assert feed(client, "sam") == sam_before
