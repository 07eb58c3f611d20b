"""The clock job that purges couples unpaired more than 30 days ago, with their data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from rq.cron import CronScheduler
from sqlalchemy import func, select

from api.affirmations.models import GratitudeEntry
from api.extensions import db
from api.notifications.models import Notification
from api.pairing.models import Couple
from api.rituals.models import Ritual
from api.streaks.models import CheckIn
from api.users.models import User
from tests.conftest import auth
from tests.factories import RitualFactory
from tests.pairing.util import me, pair
from workers import pairing_jobs

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def couple_with_data(client, a, b):
    """A couple through the API, with a ritual, a check-in and a gratitude entry; its id."""
    couple_id = pair(client, a, b)["id"]
    ritual = RitualFactory(couple=db.session.get(Couple, couple_id))
    check_in = {"client_id": str(uuid.uuid4())}
    response = client.post(
        f"/v1/couple/rituals/{ritual.id}/check-ins", json=check_in, headers=auth(a)
    )
    assert response.status_code == 201, response.get_json()
    entry = {"text": f"{a} is kind", "client_id": str(uuid.uuid4())}
    assert client.post("/v1/couple/gratitude", json=entry, headers=auth(b)).status_code == 201
    return couple_id


def test_purge_deletes_only_couples_unpaired_over_30_days_ago(client, clock):
    clock.set(T0)
    gone = couple_with_data(client, "alex", "sam")
    client.delete("/v1/couple", headers=auth("alex"))
    clock.advance(days=2)
    recent = couple_with_data(client, "bo", "cy")
    client.delete("/v1/couple", headers=auth("cy"))
    active = couple_with_data(client, "dee", "eli")

    clock.set(T0 + timedelta(days=30))  # exactly 30 days: not yet
    assert pairing_jobs.purge_unpaired_couples() == 0
    assert count(Couple) == 3
    assert count(CheckIn) == 3

    clock.advance(seconds=1)
    assert pairing_jobs.purge_unpaired_couples() == 1
    assert db.session.get(Couple, gone) is None
    assert count(Ritual, Ritual.couple_id == gone) == 0
    assert count(CheckIn) == 2  # the other two couples' check-ins
    assert count(GratitudeEntry, GratitudeEntry.couple_id == gone) == 0
    for kept in (recent, active):
        assert db.session.get(Couple, kept) is not None
        assert count(Ritual, Ritual.couple_id == kept) == 1
        assert count(GratitudeEntry, GratitudeEntry.couple_id == kept) == 1
    # The people stay, single.
    assert me(client, "alex")["couple_id"] is None
    assert count(User) == 6

    clock.advance(days=2)
    assert pairing_jobs.purge_unpaired_couples() == 1
    assert db.session.get(Couple, recent) is None
    assert pairing_jobs.purge_unpaired_couples() == 0  # safe to run again


def test_purge_deletes_the_couples_notifications_and_keeps_later_ones(client, clock):
    clock.set(T0)
    old = pair(client, "alex", "sam")["id"]  # alex gets "sam accepted"
    clock.advance(days=1)
    client.delete("/v1/couple", headers=auth("alex"))  # sam gets "alex has unpaired"
    clock.advance(days=1)
    new = pair(client, "alex", "kim")["id"]  # alex gets "kim accepted", of the new couple
    alex_id = me(client, "alex")["id"]
    assert count(Notification) == 3

    clock.set(T0 + timedelta(days=31, seconds=1))
    assert pairing_jobs.purge_unpaired_couples() == 1
    left = db.session.scalars(select(Notification)).all()
    assert [(n.recipient_id, n.data["couple_id"]) for n in left] == [(alex_id, str(new))]
    assert str(old) not in str([n.data for n in left])


def test_purge_after_an_erased_partner(client, clock):
    clock.set(T0)
    couple_id = couple_with_data(client, "eve", "sam")
    client.delete("/v1/me", headers=auth("eve"))
    clock.advance(days=31)
    assert pairing_jobs.purge_unpaired_couples() == 1
    assert db.session.get(Couple, couple_id) is None
    assert count(Ritual) == 0


def test_purge_is_on_the_clock(app):
    scheduler = CronScheduler(connection=app.extensions["hearth_queue"].connection)
    scheduler.load_config_from_file("workers.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    purge = jobs["workers.pairing_jobs.purge_unpaired_couples"]
    assert purge.interval == 3600


def test_purge_deletes_a_push_the_partner_wrote_as_the_couple_unpaired(client, clock):
    """Written after the unpair's moment (the race of tests/pairing/test_unpair_races.py), with
    no couple in its data: the row's couple_id still takes it away with the couple."""
    from api.notifications.service import notify

    clock.set(T0)
    old = pair(client, "alex", "sam")["id"]
    client.delete("/v1/couple", headers=auth("alex"))
    clock.advance(seconds=5)
    sam = db.session.scalar(select(User).where(User.uid == "sam"))
    notify(
        db.session,
        recipient_id=sam.id,
        couple_id=old,
        category="partner_checkin",
        title="Our evening walk",
        body="Alex logged your evening walk",
        dedupe_key="late-checkin",
    )
    db.session.commit()
    clock.set(T0 + timedelta(days=31, seconds=1))
    assert pairing_jobs.purge_unpaired_couples() == 1
    assert count(Notification, Notification.dedupe_key == "late-checkin") == 0
