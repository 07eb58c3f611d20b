"""The recap clock after a move east: a Sunday push or a week's end that the move put behind
the couple, while it was still ahead in the old zone, is neither lost nor judged late: the
tick sends (or records) it once, right after the move, and never again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from api.recaps.models import RecapSchedule, RecapStreak
from api.recaps.service import run_due
from api.streaks.days import day_start
from tests.conftest import auth
from tests.factories import RitualFactory
from tests.moods.conftest import Couple2
from tests.questions.conftest import at

BERLIN, TOKYO, LA = (
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Tokyo"),
    ZoneInfo("America/Los_Angeles"),
)


def _move(pair: Couple2, zone: str) -> None:
    response = pair.client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _schedule(pair: Couple2) -> RecapSchedule:
    db.session.expire_all()
    return db.session.get(RecapSchedule, pair.couple.id)


def _recap_weeks() -> list[str]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification).where(Notification.category == "recap").order_by(Notification.id)
    )
    return [n.data["week"] for n in rows]


def _recorded_weeks() -> list[date]:
    db.session.expire_all()
    return list(db.session.scalars(select(RecapStreak.week_start).order_by(RecapStreak.week_start)))


def test_a_move_east_past_sunday_1900_sends_the_weeks_recap_once(pair: Couple2, clock: Any) -> None:
    _move(pair, "America/Los_Angeles")
    # Sunday 18:00 in Los Angeles, an hour before the push; in Berlin it is 03:00 on Monday,
    # still Sunday for the couple (their day starts at 04:00), Sunday's 19:00 eight hours ago.
    moment = clock.set(at(LA, 2026, 3, 8, 18, 0))
    _move(pair, "Europe/Berlin")
    result = run_due(db.session, moment=clock.advance(minutes=1))
    assert (result.sent, result.late) == (1, 0)
    assert _recap_weeks() == ["2026-W10", "2026-W10"]
    assert _schedule(pair).next_recap_at == at(BERLIN, 2026, 3, 15, 19, 0)
    for hours in (1, 3, 20):
        assert run_due(db.session, moment=moment + timedelta(hours=hours)).sent == 0
    assert _recap_weeks() == ["2026-W10", "2026-W10"]


def test_a_push_due_when_the_couple_moves_east_is_not_judged_by_the_new_zone(
    pair: Couple2, clock: Any
) -> None:
    # Berlin's Sunday 19:00 falls due; before the tick runs (a few minutes late), the couple
    # lands in Tokyo, where Sunday's 19:00 was eight hours ago.
    clock.set(at(BERLIN, 2026, 3, 8, 19, 5))
    _move(pair, "Asia/Tokyo")
    result = run_due(db.session, moment=at(BERLIN, 2026, 3, 8, 19, 10))
    assert (result.sent, result.late) == (1, 0)
    assert _recap_weeks() == ["2026-W10", "2026-W10"]
    assert _schedule(pair).next_recap_at == at(TOKYO, 2026, 3, 15, 19, 0)


def test_a_move_east_across_monday_keeps_the_weeks_recap_and_its_streaks(
    pair: Couple2, clock: Any
) -> None:
    RitualFactory(couple=pair.couple, created_at=datetime(2026, 3, 2, 6, tzinfo=UTC))
    _move(pair, "America/Los_Angeles")
    # Sunday 15:00 in Los Angeles: W10's push and end are hours ahead. In Tokyo it is
    # already Monday 07:00: W11 has begun, W10's 19:00 and end are behind.
    clock.set(at(LA, 2026, 3, 8, 15, 0))
    _move(pair, "Asia/Tokyo")
    result = run_due(db.session, moment=clock.advance(minutes=1))
    assert (result.sent, result.late, result.snapshots) == (1, 0, 1)
    assert _recap_weeks() == ["2026-W10", "2026-W10"]
    assert _recorded_weeks() == [date(2026, 3, 2)]
    schedule = _schedule(pair)
    assert schedule.next_recap_at == at(TOKYO, 2026, 3, 15, 19, 0)
    assert schedule.next_snapshot_at == day_start(pair.couple, date(2026, 3, 16))

    # Back to Los Angeles the same afternoon: Sunday again there, but W10 is done.
    clock.advance(minutes=5)
    _move(pair, "America/Los_Angeles")
    for moment in (at(LA, 2026, 3, 8, 19, 1), at(LA, 2026, 3, 9, 4, 1)):
        result = run_due(db.session, moment=moment)
        assert (result.sent, result.snapshots) == (0, 0)
    assert _recap_weeks() == ["2026-W10", "2026-W10"]
    assert _recorded_weeks() == [date(2026, 3, 2)]
    assert run_due(db.session, moment=at(LA, 2026, 3, 15, 19, 1)).sent == 1
    assert _recap_weeks() == ["2026-W10", "2026-W10", "2026-W11", "2026-W11"]
