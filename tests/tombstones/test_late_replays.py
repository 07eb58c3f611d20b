"""A late replay of a create whose row was deleted since answers 404 and creates nothing.

A phone's offline queue may send a create again after the entry was deleted (by its author
on the other phone). Creating it anew would bring back what was deleted: the replay answers
404, as for a deleted ritual, for 30 days (api/tombstones).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from api.extensions import db
from api.pairing.service import purge_unpaired
from api.tombstones.models import Tombstone
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Kind:
    path: str
    body: dict


KINDS = {
    "gratitude": Kind("/v1/couple/gratitude", {"text": "The way you laugh"}),
    "memory": Kind("/v1/couple/memories", {"title": "Our first trip", "happened_on": "2024-06-01"}),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest, clock) -> Kind:
    clock.set(NOW)
    CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    return KINDS[request.param]


def _create(client, kind: Kind, client_id: str, uid: str = "alex"):
    return client.post(kind.path, json={**kind.body, "client_id": client_id}, headers=auth(uid))


def _count(client, kind: Kind) -> int:
    return len(client.get(kind.path, headers=auth("alex")).get_json()["items"])


def test_a_replay_after_the_delete_is_404_and_creates_nothing(client, kind):
    client_id = str(uuid.uuid4())
    first = _create(client, kind, client_id)
    assert first.status_code == 201
    assert _create(client, kind, client_id).status_code == 200  # a replay: the original
    deleted = client.delete(f"{kind.path}/{first.get_json()['id']}", headers=auth("alex"))
    assert deleted.status_code == 204

    late = _create(client, kind, client_id)
    assert late.status_code == 404, late.get_json()
    assert late.headers["Content-Type"] == "application/problem+json"
    # From the partner's phone too: it is the couple's client_id.
    assert _create(client, kind, client_id, uid="sam").status_code == 404
    assert _count(client, kind) == 0
    # A new client_id creates as ever.
    assert _create(client, kind, str(uuid.uuid4())).status_code == 201


def test_after_thirty_days_a_replay_creates_anew_and_old_tombstones_go(client, clock, kind):
    old, recent = str(uuid.uuid4()), str(uuid.uuid4())
    for client_id in (old, recent):
        created = _create(client, kind, client_id).get_json()
        client.delete(f"{kind.path}/{created['id']}", headers=auth("alex"))
        clock.advance(days=20)
    # old was deleted 40 days ago, recent 20: only recent is still refused.
    assert _create(client, kind, recent).status_code == 404
    again = _create(client, kind, old)
    assert again.status_code == 201
    # The next deletion drops the couple's tombstones older than 30 days.
    client.delete(f"{kind.path}/{again.get_json()['id']}", headers=auth("alex"))
    kept = db.session.scalars(select(Tombstone.client_id).order_by(Tombstone.deleted_at)).all()
    assert kept == [recent, old]
    clock.advance(days=11)
    created = _create(client, kind, str(uuid.uuid4())).get_json()
    client.delete(f"{kind.path}/{created['id']}", headers=auth("alex"))
    assert db.session.scalar(select(func.count()).select_from(Tombstone)) == 2  # recent gone


def test_tombstones_go_with_the_couple(client, clock, kind):
    created = _create(client, kind, str(uuid.uuid4())).get_json()
    client.delete(f"{kind.path}/{created['id']}", headers=auth("alex"))
    assert client.delete("/v1/me", headers=auth("alex")).status_code == 204
    assert client.delete("/v1/me", headers=auth("sam")).status_code == 204
    clock.advance(days=31)
    assert purge_unpaired(db.session) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Tombstone)) == 0
