"""The recap's ritual figures follow the ritual's calendar (API.md): a past week stays judged
by the schedule in force on its days, the day a pause starts counts if done, and the streak
recorded at the week's end holds the week's days whatever the zones do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.extensions import db
from api.recaps.service import run_due
from tests.conftest import auth
from tests.pairing.util import pair

BERLIN = "Europe/Berlin"
LA = "America/Los_Angeles"
DAILY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def at(zone: str, *args: int) -> datetime:
    """The UTC instant of a wall time in zone (computed here, not by the product)."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _couple(client, clock, zone: str, schedule: dict[str, Any]) -> int:
    clock.set(at(zone, 2026, 3, 1, 12, 0))  # a Sunday; week 10 begins tomorrow
    pair(client, "alex", "sam")
    assert client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    body = {"title": "Coffee", "schedule": schedule, "client_id": str(uuid.uuid4())}
    created = client.post("/v1/couple/rituals", json=body, headers=auth("alex"))
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _check_in(client, ritual_id: int) -> str:
    body = {"client_id": str(uuid.uuid4())}
    answer = client.post(
        f"/v1/couple/rituals/{ritual_id}/check-ins", json=body, headers=auth("alex")
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["local_date"]


def _patch(client, ritual_id: int, body: dict[str, Any]) -> None:
    answer = client.patch(f"/v1/couple/rituals/{ritual_id}", json=body, headers=auth("alex"))
    assert answer.status_code == 200, answer.get_json()


def _week_10(client) -> dict[str, Any]:
    answer = client.get("/v1/couple/recaps/2026-W10", headers=auth("alex"))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["rituals"][0]


def _streak(client, ritual_id: int) -> int:
    answer = client.get(f"/v1/couple/rituals/{ritual_id}/streak", headers=auth("alex"))
    return answer.get_json()["current"]


def _clock_runs(clock, start: datetime, end: datetime) -> None:
    """The recap clock, every five minutes from start to end."""
    moment = start
    while moment <= end:
        clock.set(moment)
        run_due(db.session, moment=moment)
        moment += timedelta(minutes=5)


def test_a_later_schedule_edit_leaves_a_past_week_as_it_was(client, clock):
    ritual_id = _couple(client, clock, BERLIN, {"days": DAILY, "time": "08:00"})
    for day in range(2, 9):
        clock.set(at(BERLIN, 2026, 3, day, 12, 0))
        _check_in(client, ritual_id)
    clock.set(at(BERLIN, 2026, 3, 9, 12, 0))
    _patch(client, ritual_id, {"schedule": {"days": ["sat"]}})  # from this week on
    week = _week_10(client)
    assert (week["scheduled_days"], week["completed_days"]) == (7, 7)
    assert _streak(client, ritual_id) == 7


def test_the_day_a_pause_starts_counts_if_it_was_done(client, clock):
    ritual_id = _couple(client, clock, BERLIN, {"days": DAILY, "time": "08:00"})
    for day in (2, 3, 4):
        clock.set(at(BERLIN, 2026, 3, day, 12, 0))
        _check_in(client, ritual_id)
    clock.set(at(BERLIN, 2026, 3, 4, 20, 0))  # Wednesday evening, Wednesday done
    _patch(client, ritual_id, {"paused": True})
    clock.set(at(BERLIN, 2026, 3, 7, 12, 0))  # resumed on Saturday, and done
    _patch(client, ritual_id, {"paused": False})
    _check_in(client, ritual_id)
    clock.set(at(BERLIN, 2026, 3, 8, 12, 0))  # Sunday: the resume... and Sunday still open
    week = _week_10(client)
    assert week["completed_days"] == _streak(client, ritual_id) == 4
    assert week["scheduled_days"] == 5  # Mon, Tue, Wed, Sat, and Sunday so far


def test_a_move_east_keeps_the_weeks_streak(client, clock):
    ritual_id = _couple(client, clock, LA, {"days": DAILY, "time": "08:00"})
    _clock_runs(clock, at(LA, 2026, 3, 2, 4, 0), at(LA, 2026, 3, 2, 4, 10))
    for day in range(2, 8):
        clock.set(at(LA, 2026, 3, day, 12, 0))
        _check_in(client, ritual_id)
    clock.set(at(LA, 2026, 3, 7, 9, 0))  # Saturday: they fly to Berlin
    assert client.patch("/v1/couple", json={"timezone": BERLIN}, headers=auth("alex"))
    clock.set(at(BERLIN, 2026, 3, 8, 12, 0))
    _check_in(client, ritual_id)
    _clock_runs(clock, at(BERLIN, 2026, 3, 8, 13, 0), at(BERLIN, 2026, 3, 9, 23, 0))
    clock.set(at(BERLIN, 2026, 3, 11, 12, 0))
    week = _week_10(client)
    assert (week["completed_days"], week["streak"]) == (7, 7)


def test_the_weeks_streak_of_a_ritual_west_of_the_couple(client, clock):
    """The couple's week ends at Monday 04:00 in Berlin, still Sunday in New York."""
    ritual_id = _couple(
        client, clock, BERLIN, {"days": DAILY, "time": "08:00", "timezone": "America/New_York"}
    )
    _clock_runs(clock, at(BERLIN, 2026, 3, 2, 4, 0), at(BERLIN, 2026, 3, 2, 4, 10))
    for day in range(2, 9):
        clock.set(at("America/New_York", 2026, 3, day, 12, 0))
        assert _check_in(client, ritual_id) == f"2026-03-0{day}"
    _clock_runs(clock, at(BERLIN, 2026, 3, 9, 4, 0), at(BERLIN, 2026, 3, 9, 4, 20))
    clock.set(at(BERLIN, 2026, 3, 11, 12, 0))
    week = _week_10(client)
    assert (week["completed_days"], week["streak"]) == (7, 7)


def test_the_weeks_streak_of_a_ritual_east_of_the_couple(client, clock):
    """In Tokyo the new week's Monday is under way, and done, when Berlin's week ends."""
    ritual_id = _couple(
        client, clock, BERLIN, {"days": DAILY, "time": "08:00", "timezone": "Asia/Tokyo"}
    )
    _clock_runs(clock, at(BERLIN, 2026, 3, 2, 4, 0), at(BERLIN, 2026, 3, 2, 4, 10))
    for day in range(2, 10):  # Tokyo days 2 to 9 March: the 9th is the next week's
        clock.set(at("Asia/Tokyo", 2026, 3, day, 10, 0))
        assert _check_in(client, ritual_id) == f"2026-03-0{day}"
    _clock_runs(clock, at(BERLIN, 2026, 3, 9, 4, 0), at(BERLIN, 2026, 3, 9, 4, 20))
    clock.set(at(BERLIN, 2026, 3, 11, 12, 0))
    assert _week_10(client)["streak"] == 7
