"""After a move west the couple's day goes back by one: today's question lasts longer instead
of the day before coming back (as a ritual's day does). No answered question shows again as
today's, and no day gets a second question."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from api.extensions import db
from api.notifications.models import Notification
from api.questions.models import CoupleQuestion
from api.questions.reminders import run_due
from tests.factories import RitualFactory
from tests.questions.conftest import Pair, at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(pair: Pair, zone: str) -> None:
    response = pair.client.patch("/v1/couple", json={"timezone": zone}, headers=pair.alex)
    assert response.status_code == 200, response.get_json()


def test_todays_question_lasts_through_a_flight_west(pair: Pair, clock) -> None:
    _move(pair, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 3, 10, 0))  # Tuesday morning in Tokyo
    tuesday = pair.today(pair.alex)
    assert tuesday["local_date"] == "2026-03-03"
    assert pair.answer(pair.alex, tuesday["id"], "The sea").status_code == 201

    _move(pair, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    again = pair.today(pair.alex)
    assert (again["id"], again["local_date"]) == (tuesday["id"], "2026-03-03")
    assert again["my_answer"]["text"] == "The sea"
    # Sam can still answer it: it is today's, and it reveals as ever.
    assert pair.answer(pair.sam, tuesday["id"], "The mountains").status_code == 201
    assert pair.today(pair.alex)["partner_answer"]["text"] == "The mountains"

    # Monday's 19:00 reminder in Los Angeles: not sent, Monday is not coming back.
    reminded_at = at(LA, 2026, 3, 2, 19, 0)
    clock.set(reminded_at)
    run_due(db.session, moment=reminded_at)
    reminders = db.session.scalars(
        select(Notification.data).where(Notification.category == "daily_question")
    ).all()
    assert [r for r in reminders if r.get("local_date") == "2026-03-02"] == []

    clock.set(at(LA, 2026, 3, 3, 12, 0))  # Tuesday in Los Angeles: still that question
    assert pair.today(pair.alex)["id"] == tuesday["id"]
    clock.set(at(LA, 2026, 3, 4, 12, 0))  # Wednesday: a new one
    wednesday = pair.today(pair.alex)
    assert wednesday["local_date"] == "2026-03-04" and wednesday["id"] != tuesday["id"]
    # One question a day, and none for the Monday they flew back into.
    days = db.session.scalars(select(CoupleQuestion.local_date).order_by("local_date")).all()
    assert [d.isoformat() for d in days] == ["2026-03-03", "2026-03-04"]
    assert db.session.scalar(select(func.count()).select_from(CoupleQuestion)) == 2


def test_answering_the_day_before_after_a_flight_west_says_yesterday(pair: Pair, clock) -> None:
    """After a move west, today is the lasting day's question: the one before it is yesterday's.

    The push must not say "today's question" (which sends the partner to the lasting day's).
    """
    _move(pair, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 2, 10, 0))  # Monday morning in Tokyo
    monday = pair.today(pair.alex)
    clock.set(at(TOKYO, 2026, 3, 3, 10, 0))  # Tuesday morning in Tokyo
    tuesday = pair.today(pair.alex)
    assert (monday["local_date"], tuesday["local_date"]) == ("2026-03-02", "2026-03-03")

    _move(pair, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    assert pair.today(pair.sam)["id"] == tuesday["id"]  # today is still Tuesday's question
    assert pair.answer(pair.sam, monday["id"], "Late but here").status_code == 201
    (push,) = [n for n in pair.feed(pair.alex) if n["category"] == "daily_question"]
    assert push["title"] == "Yesterday's question"


def test_after_a_flight_west_the_day_before_the_lasting_one_is_past(pair: Pair, clock) -> None:
    """History, swap and the answer window count from the lasting day, not the new zone's day.

    Landing on Monday evening after living Tuesday: Monday is yesterday (in the history, not
    swappable) and Sunday is two days ago (closed), as they were in Tokyo.
    """
    _move(pair, "Asia/Tokyo")
    days = {}
    for name, day in (("sunday", 8), ("monday", 9), ("tuesday", 10)):
        clock.set(at(TOKYO, 2026, 3, day, 10, 0))
        days[name] = pair.today(pair.alex)
    assert [q["local_date"] for q in days.values()] == ["2026-03-08", "2026-03-09", "2026-03-10"]

    _move(pair, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 9, 18, 0))  # they land on Monday evening in Los Angeles
    assert pair.today(pair.alex)["id"] == days["tuesday"]["id"]
    response = pair.client.get("/v1/couple/questions", headers=pair.alex)
    assert [q["id"] for q in response.get_json()["items"]] == [
        days["monday"]["id"],
        days["sunday"]["id"],
    ]
    monday = pair.client.get(f"/v1/couple/questions/{days['monday']['id']}", headers=pair.alex)
    assert monday.get_json()["can_swap"] is False
    assert pair.answer(pair.alex, days["sunday"]["id"], "Too late").status_code == 409
    assert pair.answer(pair.alex, days["monday"]["id"], "Yesterday's").status_code == 201


def test_a_mood_of_the_lasting_day_keeps_the_day_before_from_being_reminded(
    pair: Pair, clock
) -> None:
    _move(pair, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 3, 8, 0))  # Tuesday morning in Tokyo: a mood, no question read
    body = {"mood": 3, "needs": [], "client_id": "8d1c7a1e-1b61-4f5e-9f53-2f1b3c2d7e01"}
    response = pair.client.post("/v1/couple/moods", json=body, headers=pair.alex)
    assert response.status_code == 201 and response.get_json()["local_date"] == "2026-03-03"

    _move(pair, "America/Los_Angeles")
    # Monday's 19:00 in Los Angeles: the couple's day is Tuesday (the mood's), as every domain
    # reads it; Monday's question is not today's, so it gets no "today's question" reminder.
    reminded_at = at(LA, 2026, 3, 2, 19, 0)
    clock.set(reminded_at)
    run_due(db.session, moment=reminded_at)
    reminders = db.session.scalars(
        select(Notification.data).where(Notification.category == "daily_question")
    ).all()
    assert [r for r in reminders if r.get("local_date") == "2026-03-02"] == []
    assert pair.today(pair.alex)["local_date"] == "2026-03-03"


def test_a_check_in_after_a_flight_west_is_for_the_day_moods_and_questions_use(
    pair: Pair, clock
) -> None:
    """One today for the couple. Before: the check-in took 12-01, moods and the question 12-02."""
    kiss = RitualFactory(couple=pair.couple)
    clock.set(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))  # 01:00 on 12-02 in Karachi: day 12-01
    _move(pair, "Asia/Karachi")
    _move(pair, "Pacific/Kiritimati")  # 10:00 on 12-02 there
    assert pair.today(pair.alex)["local_date"] == "2026-12-02"
    _move(pair, "Pacific/Pago_Pago")  # 09:00 on 12-01 there: the couple lived 12-02 already

    body = {"mood": 3, "needs": [], "client_id": str(uuid.uuid4())}
    mood = pair.client.post("/v1/couple/moods", json=body, headers=pair.alex)
    assert mood.status_code == 201 and mood.get_json()["local_date"] == "2026-12-02"
    assert pair.today(pair.sam)["local_date"] == "2026-12-02"
    response = pair.client.post(
        f"/v1/couple/rituals/{kiss.id}/check-ins",
        json={"client_id": str(uuid.uuid4())},
        headers=pair.alex,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["local_date"] == "2026-12-02"
