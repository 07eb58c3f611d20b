"""The weekly recap through HTTP, its fixed query count, and the Sunday 19:00 push tick."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import factory
import pytest
from sqlalchemy import select

from api.affirmations.models import GratitudeEntry
from api.extensions import db
from api.moods.models import MoodEntry
from api.notifications.models import Notification
from api.recaps.models import RecapSchedule
from api.recaps.service import run_due
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory, _Base
from tests.moods.conftest import Couple2
from tests.test_query_counts import counting

# Wednesday 4 March 2026, 13:00 in Berlin (ISO week 2026-W10).
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def recap(pair: Couple2, week: str, uid: str = "alex") -> Any:
    response = pair.client.get(f"/v1/couple/recaps/{week}", headers=auth(uid))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_week_with_no_activity(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    body = recap(pair, "2026-W10")
    a, s = pair.alex.id, pair.sam.id
    assert body == {
        "week": "2026-W10",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-08",
        "in_progress": True,
        "rituals": [],
        "affirmations": [
            {"from_user_id": a, "to_user_id": s, "count": 0},
            {"from_user_id": s, "to_user_id": a, "count": 0},
        ],
        "gratitude": [{"user_id": a, "count": 0}, {"user_id": s, "count": 0}],
        "moods": [
            {"user_id": a, "entries": 0, "mean_mood": None, "top_needs": []},
            {"user_id": s, "entries": 0, "mean_mood": None, "top_needs": []},
        ],
        "questions_answered_together": 0,
        "memories_added": 0,
    }


def test_the_week_so_far_from_every_domain(pair: Couple2, clock: Any) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # Monday
    ritual = RitualFactory(couple=pair.couple, days=["mon", "wed", "fri"], completion="both")
    either = RitualFactory(couple=pair.couple, title="Coffee", completion="either")

    def post(uid: str, path: str, body: dict[str, Any]) -> None:
        body["client_id"] = str(uuid.uuid4())
        response = pair.client.post(path, json=body, headers=auth(uid))
        assert response.status_code in (201, 202), response.get_json()

    post("alex", f"/v1/couple/rituals/{ritual.id}/check-ins", {})
    post("sam", f"/v1/couple/rituals/{ritual.id}/check-ins", {})
    post("alex", f"/v1/couple/rituals/{either.id}/check-ins", {})
    post("alex", "/v1/couple/affirmations", {"text": "You are lovely"})
    post("alex", "/v1/couple/affirmations", {"text": "And kind"})
    post("sam", "/v1/couple/gratitude", {"text": "The coffee"})
    post("alex", "/v1/couple/moods", {"mood": 2, "needs": ["heard", "space"]})
    post("alex", "/v1/couple/moods", {"mood": 4, "needs": ["heard"]})
    clock.set(NOON)  # Wednesday: Monday and Wednesday scheduled so far
    post("alex", f"/v1/couple/rituals/{ritual.id}/check-ins", {})
    body = recap(pair, "2026-W10", "sam")
    by_id = {r["ritual_id"]: r for r in body["rituals"]}
    # Monday done by both; Wednesday by Alex only ("both" is not met yet).
    assert by_id[ritual.id] == {
        "ritual_id": ritual.id,
        "title": ritual.title,
        "scheduled_days": 2,
        "completed_days": 1,
        "streak": 1,
    }
    assert by_id[either.id]["scheduled_days"] == 3  # every day, Monday to today
    assert by_id[either.id]["completed_days"] == 1
    a, s = pair.alex.id, pair.sam.id
    assert {(x["from_user_id"], x["count"]) for x in body["affirmations"]} == {(a, 2), (s, 0)}
    assert body["gratitude"] == [{"user_id": a, "count": 0}, {"user_id": s, "count": 1}]
    assert body["moods"][0] == {
        "user_id": a,
        "entries": 2,
        "mean_mood": 3.0,
        "top_needs": ["heard", "space"],
    }
    # The week before (the couple paired then? no: paired this week) is not theirs.
    response = pair.client.get("/v1/couple/recaps/2026-W09", headers=auth("alex"))
    assert response.status_code == 404


def test_unknown_future_and_malformed_weeks_are_404(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    for week in ("2026-W11", "2026-W54", "2026-W00", "2025-W53", "2026-w10", "10"):
        response = pair.client.get(f"/v1/couple/recaps/{week}", headers=auth("alex"))
        assert response.status_code == 404, week
        assert response.content_type == "application/problem+json"


def test_a_week_spanning_the_spring_dst_change(pair: Couple2, clock: Any) -> None:
    """Berlin springs forward on Sunday 29 March 2026: W13 ends at 04:00 CEST on the 30th."""
    pair.couple.paired_at = datetime(2026, 3, 1, tzinfo=UTC)
    db.session.commit()
    entries = {
        # Monday 23rd, 04:00 CET is 03:00Z: the week's first instant.
        datetime(2026, 3, 23, 2, 59, tzinfo=UTC): "2026-W12",
        datetime(2026, 3, 23, 3, 0, tzinfo=UTC): "2026-W13",
        # Monday 30th, 03:59 CEST (01:59Z) is still Sunday's day; 04:00 CEST is 02:00Z.
        datetime(2026, 3, 30, 1, 59, tzinfo=UTC): "2026-W13",
        datetime(2026, 3, 30, 2, 0, tzinfo=UTC): "2026-W14",
    }
    for instant in entries:
        db.session.add(
            GratitudeEntry(
                couple_id=pair.couple.id,
                author_id=pair.alex.id,
                text="thanks",
                client_id=str(uuid.uuid4()),
                created_at=instant,
            )
        )
    db.session.commit()
    clock.set(datetime(2026, 4, 8, 12, 0, tzinfo=UTC))
    counts = {
        week: recap(pair, week)["gratitude"][0]["count"]
        for week in ("2026-W12", "2026-W13", "2026-W14")
    }
    assert counts == {"2026-W12": 1, "2026-W13": 2, "2026-W14": 1}
    page = pair.client.get("/v1/couple/recaps?limit=4", headers=auth("alex")).get_json()
    assert [r["week"] for r in page["items"]] == ["2026-W15", "2026-W14", "2026-W13", "2026-W12"]
    assert [r["gratitude"][0]["count"] for r in page["items"]] == [0, 1, 2, 1]
    assert [r["in_progress"] for r in page["items"]] == [True, False, False, False]


def test_the_list_pages_back_to_the_pairing_week(pair: Couple2, clock: Any) -> None:
    pair.couple.paired_at = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)  # a Tuesday of W07
    db.session.commit()
    clock.set(NOON)
    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = pair.client.get(f"/v1/couple/recaps?{query}", headers=auth("alex")).get_json()
        seen += [r["week"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["2026-W10", "2026-W09", "2026-W08", "2026-W07"]
    bad = pair.client.get("/v1/couple/recaps?cursor=nonsense", headers=auth("alex"))
    assert bad.status_code == 422


class MoodEntryFactory(_Base):
    class Meta:
        model = MoodEntry

    mood = 3
    client_id = factory.Faker("uuid4")


def _history(pair: Couple2, weeks: int) -> None:
    """`weeks` weeks of gratitude, moods and check-ins before the current week."""
    ritual = RitualFactory(couple=pair.couple, created_at=NOON - timedelta(weeks=weeks + 1))
    pair.couple.paired_at = NOON - timedelta(weeks=weeks + 1)
    from api.streaks.models import CheckIn

    for i in range(1, weeks + 1):
        instant = NOON - timedelta(weeks=i)
        day = date(2026, 3, 4) - timedelta(weeks=i)
        db.session.add(
            GratitudeEntry(
                couple_id=pair.couple.id,
                author_id=pair.sam.id,
                text="thanks",
                client_id=str(uuid.uuid4()),
                created_at=instant,
            )
        )
        db.session.add(
            CheckIn(
                ritual_id=ritual.id,
                couple_id=ritual.couple_id,
                user_id=pair.alex.id,
                local_date=day,
                client_id=str(uuid.uuid4()),
                created_at=instant,
            )
        )
        MoodEntryFactory(
            couple_id=pair.couple.id,
            user_id=pair.alex.id,
            local_date=day,
            week_start=day - timedelta(days=2),
            created_at=instant,
        )
    db.session.commit()


@pytest.mark.parametrize("path", ["/v1/couple/recaps/2026-W09", "/v1/couple/recaps?limit=12"])
def test_a_recap_costs_the_same_queries_at_1_and_200_weeks_of_history(
    client: Any, clock: Any, needs_content: None, path: str
) -> None:
    counts = []
    for weeks, uid in ((1, "one"), (200, "many")):
        clock.set(NOON)
        alex = UserFactory(uid=uid)
        couple = CoupleFactory(a=alex, timezone="Europe/Berlin")
        pair = Couple2(client, couple, alex, db.session.get(type(alex), couple.user_b_id))
        _history(pair, weeks)
        db.session.expire_all()
        with counting() as statements:
            response = client.get(path, headers=auth(uid))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        recaps = body.get("items", [body])
        assert any(r["gratitude"][1]["count"] for r in recaps)  # the history is really read
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# -- the Sunday push -------------------------------------------------------------------------


def recap_pushes() -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.category == "recap").order_by(Notification.id)
        )
    )


def next_at(pair: Couple2) -> datetime:
    db.session.expire_all()
    return db.session.get(RecapSchedule, pair.couple.id).next_recap_at


def test_the_sunday_push_at_1900_local_on_both_sides_of_dst(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    pair.couple.timezone = "Europe/Madrid"  # moving zone refiles the schedule
    db.session.commit()
    pair.couple.timezone = "Europe/Berlin"
    db.session.commit()
    # Sunday 22 March 19:00 CET is 18:00Z; Sunday 29 March 19:00 CEST is 17:00Z.
    for sunday_19 in (
        datetime(2026, 3, 8, 18, 0, tzinfo=UTC),
        datetime(2026, 3, 15, 18, 0, tzinfo=UTC),
        datetime(2026, 3, 22, 18, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 17, 0, tzinfo=UTC),
    ):
        assert next_at(pair) == sunday_19
        before = len(recap_pushes())
        run_due(db.session, moment=sunday_19 - timedelta(seconds=1))
        assert len(recap_pushes()) == before
        run_due(db.session, moment=sunday_19)
        run_due(db.session, moment=sunday_19 + timedelta(minutes=1))  # a second tick: no repeat
        assert len(recap_pushes()) == before + 2
    assert next_at(pair) == datetime(2026, 4, 5, 17, 0, tzinfo=UTC)
    # Autumn: Sunday 25 October 19:00 CET is 18:00Z again.
    clock.set(datetime(2026, 10, 21, 12, 0, tzinfo=UTC))
    schedule = db.session.get(RecapSchedule, pair.couple.id)
    schedule.next_recap_at = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
    db.session.commit()
    run_due(db.session, moment=datetime(2026, 10, 21, 12, 0, tzinfo=UTC))  # refiles only
    assert next_at(pair) == datetime(2026, 10, 25, 18, 0, tzinfo=UTC)


def test_the_push_holds_numbers_only_in_each_locale(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    body = {"mood": 2, "needs": ["heard"], "note": "secret", "client_id": str(uuid.uuid4())}
    pair.client.post("/v1/couple/moods", json=body, headers=auth("alex"))
    run_due(db.session, moment=datetime(2026, 3, 8, 18, 0, tzinfo=UTC))
    by_recipient = {n.recipient_id: n for n in recap_pushes()}
    english, spanish = by_recipient[pair.alex.id], by_recipient[pair.sam.id]
    assert english.title == "Your week together"
    assert english.body == ("Rituals done: 0 · Affirmations: 0 · Gratitude: 0 · Mood check-ins: 1")
    assert spanish.title == "Vuestra semana en pareja"
    assert spanish.body.startswith("Rituales hechos: 0")
    assert english.data == {"event": "recap", "week": "2026-W10"}


def test_a_late_recap_is_dropped_and_an_unpaired_couple_stops(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    run_due(db.session, moment=datetime(2026, 3, 8, 22, 0, tzinfo=UTC))  # 23:00: 4 h late
    assert recap_pushes() == []
    assert next_at(pair) == datetime(2026, 3, 15, 18, 0, tzinfo=UTC)
    assert pair.client.delete("/v1/couple", headers=auth("sam")).status_code == 204
    assert db.session.get(RecapSchedule, pair.couple.id) is None
    assert pair.client.get("/v1/couple/recaps", headers=auth("alex")).status_code == 404


def test_a_past_weeks_streak_is_the_one_recorded_as_the_week_ended(
    pair: Couple2, clock: Any
) -> None:
    ritual = RitualFactory(couple=pair.couple, created_at=datetime(2026, 3, 2, 6, tzinfo=UTC))
    for day in range(2, 9):  # Monday 2 to Sunday 8 March, every day
        clock.set(datetime(2026, 3, day, 12, 0, tzinfo=UTC))
        body = {"client_id": str(uuid.uuid4())}
        response = pair.client.post(
            f"/v1/couple/rituals/{ritual.id}/check-ins", json=body, headers=auth("alex")
        )
        assert response.status_code == 201, response.get_json()
    assert recap(pair, "2026-W10")["rituals"][0]["streak"] == 7  # live, the week in progress
    # Monday 9 March: the week ends at 04:00 Berlin (03:00Z). Alex checks in at 04:05, the
    # clock records at 04:10: Monday's check-in is not part of the week that ended.
    clock.set(datetime(2026, 3, 9, 3, 5, tzinfo=UTC))
    body = {"client_id": str(uuid.uuid4())}
    pair.client.post(f"/v1/couple/rituals/{ritual.id}/check-ins", json=body, headers=auth("alex"))
    moment = clock.set(datetime(2026, 3, 9, 3, 10, tzinfo=UTC))
    assert run_due(db.session, moment=moment).snapshots == 1
    db.session.expire_all()
    assert db.session.get(RecapSchedule, pair.couple.id).next_snapshot_at == datetime(
        2026, 3, 16, 3, 0, tzinfo=UTC
    )
    clock.set(datetime(2026, 3, 11, 12, 0, tzinfo=UTC))
    assert recap(pair, "2026-W10")["rituals"][0]["streak"] == 7  # recorded
    # Live for W11: the 7 days and Monday; Tuesday's miss took the freeze the 7 days earned.
    assert recap(pair, "2026-W11")["rituals"][0]["streak"] == 8
    # The clock missed the end of W11 by an hour: W11 keeps no streak rather than a wrong one.
    moment = clock.set(datetime(2026, 3, 16, 4, 0, tzinfo=UTC))
    assert run_due(db.session, moment=moment).snapshots == 0
    clock.set(datetime(2026, 3, 17, 12, 0, tzinfo=UTC))
    assert recap(pair, "2026-W11")["rituals"][0]["streak"] is None


def test_questions_answered_together_and_memories_added(pair: Couple2, clock: Any) -> None:
    """Only a question both answered counts; memories count in the week they were written."""
    from api.content.loader import load
    from api.content.service import import_content
    from tests.test_query_counts import CONTENT

    import_content(db.session, load(CONTENT))
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # Monday

    def answer(uid: str) -> None:
        today = pair.client.get("/v1/couple/questions/today", headers=auth(uid)).get_json()
        response = pair.client.put(
            f"/v1/couple/questions/{today['id']}/answer",
            json={"text": f"{uid}'s answer", "client_id": str(uuid.uuid4())},
            headers=auth(uid),
        )
        assert response.status_code == 201, response.get_json()

    answer("alex")
    answer("sam")  # Monday: revealed
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    answer("alex")  # Tuesday: only Alex, not together
    memory = pair.client.post(
        "/v1/couple/memories",
        json={"title": "The lake", "happened_on": "2024-07-01", "client_id": str(uuid.uuid4())},
        headers=auth("sam"),
    )
    assert memory.status_code == 201, memory.get_json()
    clock.set(NOON)
    body = recap(pair, "2026-W10")
    assert body["questions_answered_together"] == 1
    assert body["memories_added"] == 1
