"""The question reminder after a move east: today's reminder, still ahead in the old zone (or
due there, the tick not yet run) but behind in the new one, is sent once, right after the
move, while it is still the couple's day; a move into the next day leaves it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from api.pairing.models import Couple
from api.questions.reminders import run_due
from tests.questions.conftest import BERLIN, Pair, at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(pair: Pair, zone: str) -> None:
    response = pair.client.patch("/v1/couple", json={"timezone": zone}, headers=pair.alex)
    assert response.status_code == 200, response.get_json()


def _reminded_days() -> list[str]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.data["event"].as_string() == "question_reminder")
        .order_by(Notification.id)
    )
    return [n.data["local_date"] for n in rows]


def _next_at(pair: Pair) -> Any:
    db.session.expire_all()
    return db.session.get(Couple, pair.couple.id).next_question_at


def test_a_move_east_past_question_time_sends_todays_reminder_once(pair: Pair, clock) -> None:
    # 18:00 in Berlin, the reminder an hour ahead; in Tokyo it is 02:00 on Tuesday, still
    # Monday for the couple (their day starts at 04:00), Monday's 19:00 seven hours ago.
    moment = clock.set(at(BERLIN, 2026, 3, 2, 18, 0))
    _move(pair, "Asia/Tokyo")
    result = run_due(db.session, moment=moment + timedelta(minutes=1))
    assert (result.reminded, result.skipped_late) == (1, 0)
    assert _reminded_days() == ["2026-03-02", "2026-03-02"]
    assert _next_at(pair) == at(TOKYO, 2026, 3, 3, 19, 0)
    assert run_due(db.session, moment=moment + timedelta(hours=1)).reminded == 0
    assert _reminded_days() == ["2026-03-02", "2026-03-02"]


def test_a_reminder_due_when_the_couple_moves_east_is_sent_by_the_late_tick(
    pair: Pair, clock
) -> None:
    clock.set(at(BERLIN, 2026, 3, 2, 19, 5))
    _move(pair, "Asia/Tokyo")
    result = run_due(db.session, moment=at(BERLIN, 2026, 3, 2, 19, 10))
    assert (result.reminded, result.skipped_late) == (1, 0)
    assert _reminded_days() == ["2026-03-02", "2026-03-02"]
    assert _next_at(pair) == at(TOKYO, 2026, 3, 3, 19, 0)


def test_a_move_east_into_the_next_day_leaves_the_day_left(pair: Pair, clock) -> None:
    _move(pair, "America/Los_Angeles")
    # 18:00 in Los Angeles on Monday is 11:00 on Tuesday in Tokyo: Monday is over there.
    moment = clock.set(at(LA, 2026, 3, 2, 18, 0))
    _move(pair, "Asia/Tokyo")
    assert _next_at(pair) == at(TOKYO, 2026, 3, 3, 19, 0)
    assert run_due(db.session, moment=moment + timedelta(minutes=1)).reminded == 0
    assert _reminded_days() == []
