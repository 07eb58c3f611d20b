"""Moods and needs through HTTP: entries, the partner's push, today, history, summary, erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from api.extensions import db
from api.moods.models import MoodEntry, MoodNeed
from api.notifications.models import Notification
from tests.conftest import auth
from tests.factories import DeviceFactory
from tests.moods.conftest import Couple2

# Wednesday 4 March 2026, 13:00 in Berlin.
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def post_mood(pair: Couple2, uid: str, **body: Any) -> Any:
    body.setdefault("client_id", str(uuid.uuid4()))
    return pair.client.post("/v1/couple/moods", json=body, headers=auth(uid))


def pushes_to(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id, Notification.category == "mood")
            .order_by(Notification.id)
        )
    )


def test_needs_vocabulary_in_the_readers_language(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    english = pair.client.get("/v1/needs", headers=auth("alex")).get_json()
    spanish = pair.client.get("/v1/needs", headers=auth("sam")).get_json()
    slugs = [n["slug"] for n in english]
    for required in (
        "heard", "touched", "considered", "encouraged", "nurtured",
        "accepted", "understood", "forgiven", "space",
    ):  # fmt: skip
        assert required in slugs
    assert [n["slug"] for n in spanish] == slugs  # same order in every language
    assert english[0] == {
        "slug": "heard",
        "label": "Heard",
        "suggestion": english[0]["suggestion"],
    }
    assert spanish[0]["label"] == "Que me escuchen"
    assert "escucha" in spanish[0]["suggestion"]


def test_a_mood_with_needs_pushes_the_partner_in_their_language(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    response = post_mood(pair, "alex", mood=2, needs=["heard", "encouraged"], note="Rough day")
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry["mood"] == 2
    assert entry["needs"] == ["heard", "encouraged"]
    assert entry["note"] == "Rough day"
    assert entry["local_date"] == "2026-03-04"
    (push,) = pushes_to(pair.sam.id)  # Sam reads Spanish
    assert push.title == "A Alex le encantaría sentir hoy que le escuchas"
    assert push.body.startswith("Pregúntale por su día")
    assert push.body.endswith("Ha señalado 1 necesidad más: abre Hearth para verla.")
    assert "Rough day" not in push.title + push.body + str(push.data)
    assert push.data["event"] == "mood"

    clock.set(NOON)
    assert post_mood(pair, "sam", mood=4, needs=["touched"]).status_code == 201
    (push,) = pushes_to(pair.alex.id)
    assert push.title == "Sam would love to feel touched today"
    assert push.body.startswith("Hold them a little longer")
    assert "\n" not in push.body  # one need: no "more needs" sentence


def test_one_push_per_sender_per_couple_day_and_later_entries_update_the_feed(
    pair: Couple2, clock: Any
) -> None:
    clock.set(NOON)
    assert post_mood(pair, "alex", mood=3).status_code == 201  # no needs: no push
    assert pushes_to(pair.sam.id) == []
    assert post_mood(pair, "alex", mood=2, needs=["space"]).status_code == 201
    clock.set(datetime(2026, 3, 5, 2, 30, tzinfo=UTC))  # 03:30 Berlin: still the 4th
    assert post_mood(pair, "alex", mood=1, needs=["heard"]).status_code == 201
    assert len(pushes_to(pair.sam.id)) == 1
    today = pair.client.get("/v1/couple/moods/today", headers=auth("sam")).get_json()
    assert today["partner"]["mood"] == 1 and today["partner"]["needs"] == ["heard"]
    assert today["me"] is None
    clock.set(datetime(2026, 3, 5, 3, 0, tzinfo=UTC))  # 04:00 Berlin: the 5th begins
    assert post_mood(pair, "alex", mood=4, needs=["heard"]).status_code == 201
    assert len(pushes_to(pair.sam.id)) == 2
    # Sam's own entry does not count against Alex's push, nor the other way round.
    assert post_mood(pair, "sam", mood=4, needs=["heard"]).status_code == 201
    assert len(pushes_to(pair.alex.id)) == 1


def test_an_entry_at_0359_counts_for_the_day_before(pair: Couple2, clock: Any) -> None:
    clock.set(datetime(2026, 3, 5, 2, 59, tzinfo=UTC))  # 03:59 in Berlin on the 5th
    entry = post_mood(pair, "alex", mood=3).get_json()
    assert entry["local_date"] == "2026-03-04"
    today = pair.client.get("/v1/couple/moods/today", headers=auth("alex")).get_json()
    assert today["me"]["id"] == entry["id"]


def test_a_partner_in_another_zone_writes_for_the_couples_day(pair: Couple2, clock: Any) -> None:
    pair.sam.timezone = "America/Los_Angeles"
    db.session.commit()
    # 22:00 on the 4th in Los Angeles is 07:00 on the 5th in Berlin: the couple's 5th.
    clock.set(datetime(2026, 3, 5, 6, 0, tzinfo=UTC))
    entry = post_mood(pair, "sam", mood=5).get_json()
    assert entry["local_date"] == "2026-03-05"
    today = pair.client.get("/v1/couple/moods/today", headers=auth("alex")).get_json()
    assert today["partner"]["id"] == entry["id"]


def test_client_id_replay_answers_200_with_the_original(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    client_id = str(uuid.uuid4())
    first = post_mood(pair, "alex", mood=2, needs=["heard"], client_id=client_id)
    again = post_mood(pair, "alex", mood=5, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert post_mood(pair, "sam", mood=5, client_id=client_id).status_code == 409
    assert db.session.scalar(select(func.count(MoodEntry.id))) == 1
    assert len(pushes_to(pair.sam.id)) == 1


def test_invalid_entries_are_422(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    for body in (
        {"mood": 0},
        {"mood": 6},
        {"mood": 3, "needs": ["heard", "touched", "space", "accepted"]},
        {"mood": 3, "needs": ["heard", "heard"]},
        {"mood": 3, "needs": ["telepathy"]},
        {"mood": 3, "note": "   "},
        {"mood": 3, "note": "x" * 501},
        {"mood": 3, "colour": "blue"},
    ):
        response = post_mood(pair, "alex", **body)
        assert response.status_code == 422, body
        assert response.content_type == "application/problem+json"
    assert db.session.scalar(select(func.count(MoodEntry.id))) == 0


def test_unpaired_users_have_no_moods(client: Any, clock: Any, needs_content: None) -> None:
    clock.set(NOON)
    body = {"mood": 3, "client_id": str(uuid.uuid4())}
    assert client.post("/v1/couple/moods", json=body, headers=auth("solo")).status_code == 404
    for path in ("/v1/couple/moods", "/v1/couple/moods/today", "/v1/couple/moods/summary"):
        assert client.get(path, headers=auth("solo")).status_code == 404


def test_history_filters_by_who_and_dates_and_pages(pair: Couple2, clock: Any) -> None:
    for day in (2, 3, 4):
        clock.set(datetime(2026, 3, day, 12, 0, tzinfo=UTC))
        post_mood(pair, "alex", mood=day - 1)
        post_mood(pair, "sam", mood=5)

    def get(query: str) -> Any:
        response = pair.client.get(f"/v1/couple/moods?{query}", headers=auth("alex"))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    everything = get("")
    assert len(everything["items"]) == 6 and everything["next_cursor"] is None
    mine = get("who=me")["items"]
    assert [e["mood"] for e in mine] == [3, 2, 1]  # newest first
    theirs = get("who=partner&from=2026-03-03&to=2026-03-03")["items"]
    assert [(e["user_id"], e["local_date"]) for e in theirs] == [(pair.sam.id, "2026-03-03")]
    page = get("who=me&limit=2")
    rest = get(f"who=me&limit=2&cursor={page['next_cursor']}")
    assert [e["mood"] for e in page["items"] + rest["items"]] == [3, 2, 1]
    assert rest["next_cursor"] is None
    bad = pair.client.get("/v1/couple/moods?from=2026-03-04&to=2026-03-01", headers=auth("alex"))
    assert bad.status_code == 422


def test_summary_per_iso_week_in_the_couples_zone(pair: Couple2, clock: Any) -> None:
    # Sunday 1 March, 23:30 Berlin (22:30Z): week 9. Monday 2 March 05:00 Berlin: week 10.
    clock.set(datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    post_mood(pair, "alex", mood=2, needs=["heard", "space"])
    clock.set(datetime(2026, 3, 2, 4, 0, tzinfo=UTC))
    post_mood(pair, "alex", mood=4, needs=["heard"])
    post_mood(pair, "alex", mood=5, needs=["heard", "touched"])
    clock.set(NOON)
    body = pair.client.get("/v1/couple/moods/summary?weeks=3", headers=auth("alex")).get_json()
    weeks = body["weeks"]
    assert [w["week"] for w in weeks] == ["2026-W10", "2026-W09", "2026-W08"]
    assert weeks[0]["starts_on"] == "2026-03-02" and weeks[0]["ends_on"] == "2026-03-08"
    me, partner = weeks[0]["partners"]
    assert me == {
        "who": "me",
        "user_id": pair.alex.id,
        "entries": 2,
        "mean_mood": 4.5,
        "needs": {"heard": 2, "touched": 1},
    }
    assert partner == {
        "who": "partner",
        "user_id": pair.sam.id,
        "entries": 0,
        "mean_mood": None,
        "needs": {},
    }
    assert weeks[1]["partners"][0]["needs"] == {"heard": 1, "space": 1}
    assert weeks[2]["partners"][0]["entries"] == 0
    for bad in ("weeks=0", "weeks=13"):
        response = pair.client.get(f"/v1/couple/moods/summary?{bad}", headers=auth("alex"))
        assert response.status_code == 422


def test_erasure_removes_the_users_entries_at_once(pair: Couple2, clock: Any) -> None:
    clock.set(NOON)
    post_mood(pair, "alex", mood=2, needs=["heard"], note="Only for Sam")
    post_mood(pair, "sam", mood=4, needs=["space"])
    assert len(pushes_to(pair.sam.id)) == 1
    assert pair.client.delete("/v1/me", headers=auth("alex")).status_code == 204
    assert pushes_to(pair.sam.id) == []  # it named Alex
    rows = db.session.execute(select(MoodEntry.user_id, MoodEntry.note)).all()
    assert rows == [(pair.sam.id, None)]
    assert db.session.scalar(select(func.count()).select_from(MoodNeed)) == 1


def test_the_moods_switch_keeps_the_push_in_the_feed_only(
    pair: Couple2, clock: Any, run_jobs: Any
) -> None:
    clock.set(NOON)
    response = pair.client.patch(
        "/v1/me", json={"notification_preferences": {"moods": False}}, headers=auth("sam")
    )
    assert response.status_code == 200, response.get_json()
    DeviceFactory(user=pair.sam)
    assert post_mood(pair, "alex", mood=2, needs=["heard"]).status_code == 201
    run_jobs()
    db.session.expire_all()
    (push,) = pushes_to(pair.sam.id)
    assert push.status == "suppressed"
    feed = pair.client.get("/v1/notifications", headers=auth("sam")).get_json()["items"]
    assert [n["category"] for n in feed] == ["mood"]


def test_reads_list_the_needs_in_the_order_named(pair: Couple2, clock: Any) -> None:
    """The needs come folded into the entry's SELECT (a JSON column, which promises no order):
    history and today list them as named, neither by slug nor by the vocabulary's order."""
    clock.set(NOON)
    named = ["space", "heard", "touched"]
    assert post_mood(pair, "alex", mood=3, needs=named).status_code == 201
    assert post_mood(pair, "sam", mood=4, needs=[]).status_code == 201
    history = pair.client.get("/v1/couple/moods", headers=auth("alex")).get_json()
    assert [entry["needs"] for entry in history["items"]] == [[], named]
    today = pair.client.get("/v1/couple/moods/today", headers=auth("sam")).get_json()
    assert today["partner"]["needs"] == named and today["me"]["needs"] == []
