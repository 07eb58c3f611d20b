"""A ritual with its own zone lives by its own day: its evening (at risk), and its "today" for
nudges, are the ritual's zone's, not the couple's (API.md: "A ritual's days are local days in
the ritual's time zone"). Here a Berlin (or UTC) couple keeps a Tokyo ritual."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from api.streaks.service import send_at_risk_nudges
from tests.conftest import auth
from tests.pairing.util import pair

DAILY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def at(zone: str, *args: int) -> datetime:
    """The UTC instant of a wall time in zone (computed here, not by the product)."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _tokyo_ritual(client, clock, couple_zone: str = "Europe/Berlin") -> int:
    clock.set(at(couple_zone, 2026, 3, 1, 12, 0))
    pair(client, "alex", "sam")
    client.patch("/v1/couple", json={"timezone": couple_zone}, headers=auth("alex"))
    body = {
        "title": "Coffee",
        "schedule": {"days": DAILY, "time": "08:00", "timezone": "Asia/Tokyo"},
        "completion": "either",
        "client_id": str(uuid.uuid4()),
    }
    created = client.post("/v1/couple/rituals", json=body, headers=auth("alex"))
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _check_in(client, ritual_id: int, uid: str = "alex") -> str:
    body = {"client_id": str(uuid.uuid4())}
    answer = client.post(f"/v1/couple/rituals/{ritual_id}/check-ins", json=body, headers=auth(uid))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["local_date"]


def _streak_of_three(client, clock) -> int:
    """Checked in on the Tokyo days 2 to 4 March: current 3."""
    ritual_id = _tokyo_ritual(client, clock)
    for day in (2, 3, 4):
        clock.set(at("Asia/Tokyo", 2026, 3, day, 12, 0))
        assert _check_in(client, ritual_id) == f"2026-03-0{day}"
    return ritual_id


def _streak(client, ritual_id: int) -> dict:
    return client.get(f"/v1/couple/rituals/{ritual_id}/streak", headers=auth("alex")).get_json()


def _pushed(category: str) -> list[str]:
    return list(
        db.session.scalars(select(Notification.dedupe_key).where(Notification.category == category))
    )


def test_not_at_risk_at_dawn_of_the_rituals_day_when_the_couples_evening_comes(client, clock):
    ritual_id = _streak_of_three(client, clock)
    clock.set(at("Europe/Berlin", 2026, 3, 4, 20, 30))  # 04:30 on 5 March in Tokyo
    view = _streak(client, ritual_id)
    assert (view["current"], view["completed_today"], view["at_risk"]) == (3, False, False)
    assert send_at_risk_nudges(db.session) == 0
    assert _pushed("streak_at_risk") == []


def test_at_risk_in_the_rituals_evening_and_pushed_then(client, clock):
    ritual_id = _streak_of_three(client, clock)
    clock.set(at("Asia/Tokyo", 2026, 3, 5, 21, 0))  # 13:00 in Berlin
    view = _streak(client, ritual_id)
    assert (view["current"], view["completed_today"], view["at_risk"]) == (3, False, True)
    assert send_at_risk_nudges(db.session) == 1
    keys = _pushed("streak_at_risk")
    assert len(keys) == 2 and all(f":{ritual_id}:2026-03-05:" in key for key in keys)
    ttl = db.session.scalar(
        select(Notification.ttl_seconds).where(Notification.category == "streak_at_risk")
    )
    assert ttl == 7 * 3600  # until 04:00 in Tokyo, the ritual's next day


def test_a_nudge_asks_about_the_rituals_today(client, clock):
    ritual_id = _streak_of_three(client, clock)
    clock.set(at("Asia/Tokyo", 2026, 3, 5, 22, 0))
    assert _check_in(client, ritual_id, uid="sam") == "2026-03-05"
    # 05:00 on 6 March in Tokyo, still the 5th in Berlin: sam has not done the 6th.
    clock.set(at("Asia/Tokyo", 2026, 3, 6, 5, 0))
    answer = client.post(f"/v1/couple/rituals/{ritual_id}/nudge", headers=auth("alex"))
    assert answer.status_code == 202, answer.get_json()
    assert answer.get_json()["local_date"] == "2026-03-06"


def test_no_nudge_for_a_partner_who_did_the_rituals_today(client, clock):
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=UTC))  # 05:00 on the 5th in Tokyo
    ritual_id = _tokyo_ritual(client, clock, couple_zone="UTC")
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    assert _check_in(client, ritual_id, uid="sam") == "2026-03-05"
    answer = client.post(f"/v1/couple/rituals/{ritual_id}/nudge", headers=auth("alex"))
    assert answer.status_code == 409, answer.get_json()
    assert _pushed("partner_nudge") == []
