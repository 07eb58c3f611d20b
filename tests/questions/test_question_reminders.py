"""The evening reminder at question_time: once per partner per day, only to who has not answered."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from api.extensions import db
from api.notifications.models import Notification
from api.pairing.models import Couple
from api.questions import reminders
from api.questions.schedule import next_reminder_after
from api.users.models import User
from tests.factories import CoupleFactory
from tests.questions.conftest import BERLIN, START, at

TICK_JOB = "workers.scheduler.question_reminder_tick"
# Monday 2026-03-02 19:00 in Berlin (CET).
EVENING = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.fixture
def tick(app, run_jobs):
    """One clock tick as production runs it: the cron job, then delivery, on the queue."""

    def run() -> None:
        app.extensions["hearth_queue"].enqueue(TICK_JOB)
        run_jobs()

    return run


def next_at(pair) -> datetime | None:
    """The couple's next_question_at as committed (not as this session remembers it)."""
    db.session.expire_all()
    return db.session.get(Couple, pair.couple.id).next_question_at


def reminders_to(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.recipient_id == user_id,
                Notification.data["event"].as_string() == "question_reminder",
            )
        )
    )


def test_both_partners_are_reminded_at_question_time_once(pair, clock, tick, pushes):
    assert next_at(pair) == EVENING
    clock.set(EVENING - timedelta(seconds=30))
    tick()
    assert pushes.sent == []
    clock.set(EVENING + timedelta(seconds=10))
    tick()
    tick()
    assert sorted(p.body for p in pushes.sent) == [
        "A minute for the two of you: answer today's question and see what Sam says.",
        "Un minuto para los dos: responde la pregunta de hoy y descubre qué dice Alex.",
    ]
    assert {p.data["local_date"] for p in pushes.sent} == {"2026-03-02"}
    assert {p.category for p in pushes.sent} == {"daily_question"}
    # Next: Tuesday's 19:00.
    assert next_at(pair) == EVENING + timedelta(days=1)


def test_a_partner_who_answered_a_minute_before_is_not_reminded(pair, clock, tick, pushes):
    clock.set(EVENING - timedelta(minutes=1))
    question = pair.today(pair.sam)
    assert pair.answer(pair.sam, question["id"], "Mine, a minute early").status_code == 201
    clock.set(EVENING)
    tick()
    assert reminders_to(pair.sam_id) == []
    (alex,) = reminders_to(pair.alex_id)
    assert alex.data["question_id"] == str(question["id"])
    assert "Mine, a minute early" not in alex.body


def test_nobody_answered_and_nobody_opened_the_question_still_reminds(pair, clock, tick):
    clock.set(EVENING)
    tick()
    assert len(reminders_to(pair.alex_id)) == len(reminders_to(pair.sam_id)) == 1
    assert "question_id" not in reminders_to(pair.alex_id)[0].data


def test_the_reminder_stays_at_19_local_across_dst(pair, clock, tick):
    # Saturday 19:00 CET, then the spring-forward night, then Sunday 19:00 CEST.
    saturday, sunday = at(BERLIN, 2026, 3, 28, 19, 0), at(BERLIN, 2026, 3, 29, 19, 0)
    assert (saturday.hour, sunday.hour) == (18, 17)
    # (A tick two hours before drops Monday's reminder, long missed, and moves to Saturday's.)
    clock.set(saturday - timedelta(hours=2))
    tick()
    assert next_at(pair) == saturday
    clock.set(saturday)
    tick()
    assert next_at(pair) == sunday
    clock.set(sunday)
    tick()
    days = sorted(n.data["local_date"] for n in reminders_to(pair.alex_id))
    assert days == ["2026-03-28", "2026-03-29"]


def test_a_question_time_in_the_dst_gap_fires_at_the_jump(pair, clock):
    couple = db.session.get(Couple, pair.couple.id)
    couple.day_starts_at, couple.question_time = time(1, 0), time(2, 30)
    clock.set(at(BERLIN, 2026, 3, 28, 12, 0))
    assert next_reminder_after(couple, clock.current) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_reminder_more_than_30_minutes_late_is_dropped(pair, clock, tick, pushes):
    clock.set(EVENING + timedelta(minutes=31))
    tick()
    assert pushes.sent == []
    assert reminders_to(pair.alex_id) == []
    assert next_at(pair) == EVENING + timedelta(days=1)


def test_moving_question_time_after_the_reminder_does_not_send_a_second(pair, clock, tick):
    clock.set(EVENING)
    tick()
    clock.set(EVENING + timedelta(minutes=5))
    response = pair.client.patch("/v1/couple", json={"question_time": "20:00"}, headers=pair.sam)
    assert response.status_code == 200
    assert next_at(pair) == EVENING + timedelta(hours=1)
    clock.set(EVENING + timedelta(hours=1))
    tick()
    assert len(reminders_to(pair.alex_id)) == len(reminders_to(pair.sam_id)) == 1


def test_quiet_hours_and_the_preference_are_respected(pair, clock, tick, pushes):
    # Sam (New York, 13:00 there) is in quiet hours; Alex switched daily_question pushes off.
    pair.client.patch(
        "/v1/me", json={"quiet_hours": {"start": "12:00", "end": "14:00"}}, headers=pair.sam
    )
    pair.client.patch(
        "/v1/me", json={"notification_preferences": {"daily_question": False}}, headers=pair.alex
    )
    clock.set(EVENING)
    tick()
    assert reminders_to(pair.sam_id) == []
    assert len(reminders_to(pair.alex_id)) == 1  # in the feed, not pushed
    assert pushes.sent == []


def test_an_unpaired_couple_is_never_reminded(pair, clock, tick):
    assert pair.client.delete("/v1/couple", headers=pair.sam).status_code == 204
    assert next_at(pair) is None
    clock.set(EVENING)
    tick()
    assert reminders_to(pair.alex_id) == reminders_to(pair.sam_id) == []


def test_a_tick_costs_what_is_due_not_how_many_couples_exist(pair, clock):
    """The same statements for one due couple beside 3 or 30 couples not due."""

    def statements_with(idle: int) -> int:
        for _ in range(idle):
            # 19:00 in Tokyo is 10:00Z: not due at EVENING (18:00Z).
            CoupleFactory(timezone="Asia/Tokyo")
        couple = db.session.get(Couple, pair.couple.id)
        couple.next_question_at = EVENING
        db.session.commit()
        db.session.execute(
            Notification.__table__.delete().where(Notification.category == "daily_question")
        )
        db.session.commit()
        seen: list[str] = []
        record = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            result = reminders.run_due(db.session, moment=EVENING)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert (result.reminded, result.notifications) == (1, 2)
        return len(seen)

    clock.set(EVENING - timedelta(hours=1))
    few = statements_with(3)
    many = statements_with(27)
    assert db.session.query(User).count() == 2 + 2 * 30
    assert few == many


def test_new_couples_are_scheduled_from_their_pairing(clock, library):
    clock.set(START)
    couple = CoupleFactory(timezone="Asia/Tokyo")
    assert couple.question_time == time(19, 0)
    # Monday 21:00 in Tokyo: today's 19:00 is past, so Tuesday's.
    assert couple.next_question_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
