"""A check-in at a ritual's occurrence counts for that occurrence's day, even when the ritual
reminds a day ahead (API.md, "A ritual's calendar"): the hour after Monday's 07:30 is also the
hour after Tuesday's reminder (minutes_before 1440), and the check-in is Monday's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from api.extensions import db
from api.rituals import reminders
from tests.conftest import auth
from tests.pairing.util import pair

BERLIN = ZoneInfo("Europe/Berlin")
DAILY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def _day_ahead_ritual(client, clock) -> int:
    clock.set(berlin(2026, 3, 1, 12, 0))  # a Sunday
    pair(client, "alex", "sam")
    assert client.patch("/v1/couple", json={"timezone": "Europe/Berlin"}, headers=auth("alex"))
    body = {
        "title": "Coffee",
        "schedule": {"days": DAILY, "time": "07:30"},
        "reminder": {"enabled": True, "minutes_before": 1440},
        "completion": "either",
        "client_id": str(uuid.uuid4()),
    }
    created = client.post("/v1/couple/rituals", json=body, headers=auth("alex"))
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _check_in(client, ritual_id: int) -> str:
    body = {"client_id": str(uuid.uuid4())}
    response = client.post(
        f"/v1/couple/rituals/{ritual_id}/check-ins", json=body, headers=auth("alex")
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["local_date"]


def test_a_check_in_at_the_occurrence_is_that_days_not_the_reminded_next_days(client, clock):
    ritual_id = _day_ahead_ritual(client, clock)
    occurrence = berlin(2026, 3, 2, 7, 30)  # Monday's; Tuesday's reminder goes out now too
    clock.set(occurrence)
    reminders.run_due(db.session, moment=occurrence)
    clock.set(occurrence + timedelta(minutes=5))
    assert _check_in(client, ritual_id) == "2026-03-02"


def test_daily_check_ins_after_the_occurrence_keep_to_their_days(client, clock):
    ritual_id = _day_ahead_ritual(client, clock)
    for day in (2, 3, 4, 5):
        clock.set(berlin(2026, 3, day, 7, 40))
        assert _check_in(client, ritual_id) == f"2026-03-0{day}"
    clock.set(berlin(2026, 3, 5, 12, 0))
    streak = client.get(f"/v1/couple/rituals/{ritual_id}/streak", headers=auth("alex")).get_json()
    assert (streak["current"], streak["completed_today"]) == (4, True)
    assert streak["last_completed_date"] == "2026-03-05"
