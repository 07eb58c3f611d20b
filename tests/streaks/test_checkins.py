"""Check-ins through the HTTP API: idempotency, the day window, partner pushes, history."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from api.extensions import db
from api.streaks.models import CheckIn
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory
from tests.streaks.conftest import BERLIN, at

MON = date(2026, 3, 2)


@pytest.fixture
def evening(clock):
    """Monday 2 March 2026, 18:00 in Berlin."""
    return clock.set(at(BERLIN, 2026, 3, 2, 18, 0))


def test_check_in_then_replay_answers_the_original(pair, evening):
    kiss = pair.ritual()
    client_id = str(uuid.uuid4())
    first = pair.check_in(pair.alex, kiss, client_id=client_id, note="so sweet")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["local_date"] == "2026-03-02"
    assert body["note"] == "so sweet"
    assert body["user_id"] == pair.alex.id
    assert body["created_at"] == "2026-03-02T17:00:00Z"
    again = pair.check_in(pair.alex, kiss, client_id=client_id, note="changed?")
    assert again.status_code == 200
    assert again.get_json() == body
    assert len(pair.feed(pair.sam, "partner_checkin")) == 1


def test_partner_gets_a_push(pair, evening):
    kiss = pair.ritual(title="Six-second kiss")
    assert pair.check_in(pair.sam, kiss).status_code == 201
    [push] = pair.feed(pair.alex, "partner_checkin")
    assert push["body"] == "Sam logged your Six-second kiss"  # their words, as typed
    assert push["data"]["ritual_id"] == str(kiss.id)
    assert pair.feed(pair.sam, "partner_checkin") == []


def test_both_ritual_says_your_turn_to_the_one_still_to_go(pair, evening):
    coffee = pair.ritual(title="Morning coffee", completion="both")
    pair.check_in(pair.alex, coffee)
    assert pair.streak(coffee)["completed_today"] is False
    [push] = pair.feed(pair.sam, "partner_checkin")
    assert push["body"] == "Alex logged your Morning coffee: your turn"
    pair.check_in(pair.sam, coffee)
    [push] = pair.feed(pair.alex, "partner_checkin")
    assert push["body"] == "Sam logged your Morning coffee"
    streak = pair.streak(coffee)
    assert (streak["completed_today"], streak["current"]) == (True, 1)


def test_second_check_in_of_the_day_is_a_conflict(pair, evening):
    kiss = pair.ritual()
    assert pair.check_in(pair.alex, kiss).status_code == 201
    again = pair.check_in(pair.alex, kiss)
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert pair.check_in(pair.sam, kiss).status_code == 201, "the partner still can"


def test_client_id_of_another_ritual_is_a_conflict(pair, evening):
    kiss, coffee = pair.ritual(), pair.ritual(title="Coffee")
    client_id = str(uuid.uuid4())
    assert pair.check_in(pair.alex, kiss, client_id=client_id).status_code == 201
    assert pair.check_in(pair.alex, coffee, client_id=client_id).status_code == 409


@pytest.mark.parametrize(
    ("local_date", "reason"),
    [
        (MON - timedelta(days=2), "Only today"),
        (MON + timedelta(days=1), "Only today"),
        (MON - timedelta(days=7), "Only today"),
    ],
)
def test_only_today_or_yesterday(pair, evening, local_date, reason):
    kiss = pair.ritual()
    response = pair.check_in(pair.alex, kiss, local_date=local_date)
    assert response.status_code == 422
    assert reason in response.get_json()["errors"]["local_date"][0]


def test_yesterday_is_accepted(pair, evening):
    kiss = pair.ritual()
    response = pair.check_in(pair.alex, kiss, local_date=MON - timedelta(days=1))
    assert response.status_code == 201
    [push] = pair.feed(pair.sam, "partner_checkin")
    assert push["body"] == "Alex logged yesterday's Six-second kiss"


def test_only_scheduled_days(pair, evening):
    weekdays = pair.ritual(days=["tue", "wed", "thu", "fri"])
    response = pair.check_in(pair.alex, weekdays)  # a Monday
    assert response.status_code == 422
    assert "not a scheduled day" in response.get_json()["errors"]["local_date"][0]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"client_id": "not-a-uuid"},
        {"client_id": str(uuid.uuid4()), "local_date": "02/03/2026"},
        {"client_id": str(uuid.uuid4()), "user_id": 1},
        {"client_id": str(uuid.uuid4()), "note": "x" * 501},
    ],
)
def test_invalid_bodies_are_422(pair, evening, body):
    kiss = pair.ritual()
    response = pair.client.post(
        f"/v1/couple/rituals/{kiss.id}/check-ins", json=body, headers=auth("alex")
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_other_couples_and_deleted_rituals_are_404(pair, evening):
    theirs = RitualFactory()
    deleted = pair.ritual()
    deleted.deleted_at = evening
    db.session.commit()
    for ritual in (theirs, deleted):
        assert pair.check_in(pair.alex, ritual).status_code == 404
        assert pair.nudge(pair.alex, ritual).status_code == 404
        url = f"/v1/couple/rituals/{ritual.id}"
        for path in (f"{url}/check-ins", f"{url}/streak"):
            assert pair.client.get(path, headers=auth("alex")).status_code == 404
    UserFactory(uid="single")
    mine = pair.ritual()
    assert (
        pair.client.get(f"/v1/couple/rituals/{mine.id}/streak", headers=auth("single")).status_code
        == 404
    )
    assert pair.client.get("/v1/couple/streaks", headers=auth("single")).status_code == 404


def test_history_is_paginated_and_filtered(pair, clock):
    kiss = pair.ritual()
    for i in range(6):
        clock.set(at(BERLIN, 2026, 3, 2 + i, 18, 0))
        pair.check_in(pair.alex, kiss)
        pair.check_in(pair.sam, kiss)
    url = f"/v1/couple/rituals/{kiss.id}/check-ins"
    first = pair.client.get(f"{url}?limit=5", headers=auth("sam")).get_json()
    assert len(first["items"]) == 5
    second = pair.client.get(
        f"{url}?limit=5&cursor={first['next_cursor']}", headers=auth("sam")
    ).get_json()
    assert len(second["items"]) == 5
    third = pair.client.get(
        f"{url}?limit=5&cursor={second['next_cursor']}", headers=auth("sam")
    ).get_json()
    assert len(third["items"]) == 2 and third["next_cursor"] is None
    ids = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 12
    window = pair.client.get(f"{url}?from=2026-03-03&to=2026-03-04", headers=auth("sam"))
    assert {c["local_date"] for c in window.get_json()["items"]} == {"2026-03-03", "2026-03-04"}
    assert len(window.get_json()["items"]) == 4
    bad = pair.client.get(f"{url}?from=2026-03-05&to=2026-03-04", headers=auth("sam"))
    assert bad.status_code == 422
    assert pair.client.get(f"{url}?from=yesterday", headers=auth("sam")).status_code == 422


def test_a_stranger_cannot_read_or_write(pair, evening):
    kiss = pair.ritual()
    CoupleFactory(a=UserFactory(uid="eve"))
    assert pair.check_in(UserFactory.build(uid="eve"), kiss).status_code == 404
    assert (
        pair.client.get(f"/v1/couple/rituals/{kiss.id}/check-ins", headers=auth("eve")).status_code
        == 404
    )


def test_erasing_an_account_erases_its_check_ins(pair, evening):
    kiss = pair.ritual()
    pair.check_in(pair.alex, kiss)
    pair.check_in(pair.sam, kiss)
    assert pair.client.delete("/v1/me", headers=auth("sam")).status_code == 204
    db.session.expire_all()
    assert db.session.scalars(select(CheckIn.user_id)).all() == [pair.alex.id]
