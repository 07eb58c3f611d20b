"""The recap clock after a move west back across a Monday: the job's week is the reads' week,
the week of the couple's lasting day (api.streaks.days), never the week they already left.

The couple lives Monday 9 March (W11) in Tokyo, with a mood, then lands in Los Angeles on
Sunday 8 March at 18:00: W10's Sunday 19:00 comes round again in the new zone, but W10 is over
for them (the recap reads say W11 is in progress). Its recap is not pushed then; W11's is, on
W11's Sunday; and W11's streaks are recorded at W11's end, W10's not again a day after it."""

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
from tests.moods.test_moods_api import post_mood
from tests.questions.conftest import at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(pair: Couple2, zone: str) -> None:
    response = pair.client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _schedule(pair: Couple2) -> RecapSchedule:
    db.session.expire_all()
    return db.session.get(RecapSchedule, pair.couple.id)


def _recap_weeks() -> list[str]:
    rows = db.session.scalars(
        select(Notification).where(Notification.category == "recap").order_by(Notification.id)
    )
    return [n.data["week"] for n in rows]


def _monday_lived_in_tokyo_then_sunday_in_la(pair: Couple2, clock: Any) -> None:
    _move(pair, "Asia/Tokyo")
    # The clock was down over Tokyo's Sunday 19:00: on Monday W10's recap is not sent.
    moment = clock.set(at(TOKYO, 2026, 3, 9, 8, 0))
    assert run_due(db.session, moment=moment).sent == 0
    monday = post_mood(pair, "alex", mood=4, needs=["heard"]).get_json()
    assert monday["local_date"] == "2026-03-09"
    _move(pair, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 8, 18, 0))  # Sunday evening again, in Los Angeles
    weeks = pair.client.get("/v1/couple/recaps", headers=auth("alex")).get_json()["items"]
    assert (weeks[0]["week"], weeks[0]["in_progress"]) == ("2026-W11", True)


def test_the_week_already_left_is_not_pushed_on_its_sunday_in_the_new_zone(
    pair: Couple2, clock: Any
) -> None:
    _monday_lived_in_tokyo_then_sunday_in_la(pair, clock)
    w11_sunday_19 = at(LA, 2026, 3, 15, 19, 0)
    assert _schedule(pair).next_recap_at == w11_sunday_19  # the move files W11's Sunday
    sunday_19 = at(LA, 2026, 3, 8, 19, 0)
    run_due(db.session, moment=sunday_19)
    assert _recap_weeks() == []

    # A row still at the old week's Sunday (filed before the move was read, or by a day-start
    # change) is refiled by the tick, not sent.
    schedule = _schedule(pair)
    schedule.next_recap_at = sunday_19
    db.session.commit()
    result = run_due(db.session, moment=sunday_19 + timedelta(minutes=1))
    assert (result.sent, result.rescheduled) == (0, 1)
    assert _recap_weeks() == []
    assert _schedule(pair).next_recap_at == w11_sunday_19

    assert run_due(db.session, moment=w11_sunday_19).sent == 1
    assert _recap_weeks() == ["2026-W11", "2026-W11"]


def test_the_week_end_is_the_lasting_weeks_end(pair: Couple2, clock: Any) -> None:
    _monday_lived_in_tokyo_then_sunday_in_la(pair, clock)
    couple = pair.couple
    w11_end = day_start(couple, date(2026, 3, 16))
    assert _schedule(pair).next_snapshot_at == w11_end  # the move files W11's end
    # Monday begins in Los Angeles: nothing ends, W11 began in Tokyo.
    assert run_due(db.session, moment=day_start(couple, date(2026, 3, 9))).snapshots == 0

    # A row due while the new zone is still on Sunday (filed before the move was read): the
    # tick takes W11 as the week in progress, records nothing and files W11's end.
    schedule = _schedule(pair)
    schedule.next_snapshot_at = at(LA, 2026, 3, 8, 17, 0)
    db.session.commit()
    assert run_due(db.session, moment=at(LA, 2026, 3, 8, 18, 30)).snapshots == 0
    assert _schedule(pair).next_snapshot_at == w11_end
    assert run_due(db.session, moment=w11_end + timedelta(minutes=5)).snapshots == 1
    assert _schedule(pair).next_snapshot_at == day_start(couple, date(2026, 3, 23))


def test_a_tick_reads_the_lasting_days_of_a_batch_in_one_statement(
    pair: Couple2, clock: Any
) -> None:
    """The tick's cost follows the couples due: one grouped read per batch, not per couple."""
    from api.streaks.days import lasting_days
    from tests.factories import CoupleFactory, UserFactory
    from tests.test_query_counts import counting

    _monday_lived_in_tokyo_then_sunday_in_la(pair, clock)
    others = [
        CoupleFactory(a=UserFactory(), b=UserFactory(), timezone="America/Los_Angeles")
        for _ in range(3)
    ]
    couples = [pair.couple, *others]
    moment: datetime = at(LA, 2026, 3, 8, 18, 30)
    assert all(c.id and c.timezone and c.day_starts_at for c in couples)  # loaded before
    with counting() as statements:
        days = lasting_days(db.session, couples, moment)
    assert len(statements) == 1
    assert days == {
        pair.couple.id: date(2026, 3, 9),
        **{c.id: date(2026, 3, 8) for c in others},
    }


def _recorded_weeks() -> list[date]:
    db.session.expire_all()
    return list(db.session.scalars(select(RecapStreak.week_start).order_by(RecapStreak.week_start)))


def test_a_late_tick_records_the_week_that_ended_before_a_move_west(
    pair: Couple2, clock: Any
) -> None:
    """W10 ends in Berlin at Monday 04:00; the tick runs 20 minutes late (within its limit).
    Meanwhile Alex logs Monday's mood and the couple lands in Los Angeles (Sunday evening):
    Monday lasts, and W10's end in the new zone is still ahead, but W10 did end, in Berlin."""
    RitualFactory(couple=pair.couple, created_at=datetime(2026, 3, 2, 6, tzinfo=UTC))
    w10_end = day_start(pair.couple, date(2026, 3, 9))
    assert _schedule(pair).next_snapshot_at == w10_end
    clock.set(w10_end + timedelta(minutes=5))
    monday = post_mood(pair, "alex", mood=4, needs=["heard"]).get_json()
    assert monday["local_date"] == "2026-03-09"
    _move(pair, "America/Los_Angeles")
    moment = clock.set(w10_end + timedelta(minutes=20))
    assert run_due(db.session, moment=moment).snapshots == 1
    assert _recorded_weeks() == [date(2026, 3, 2)]
    # Next, W11's end in Los Angeles; nothing more when Monday begins there.
    w11_end = day_start(pair.couple, date(2026, 3, 16))
    assert _schedule(pair).next_snapshot_at == w11_end
    assert run_due(db.session, moment=at(LA, 2026, 3, 9, 4, 5)).snapshots == 0
    assert run_due(db.session, moment=w11_end + timedelta(minutes=1)).snapshots == 1
    assert _recorded_weeks() == [date(2026, 3, 2), date(2026, 3, 9)]
