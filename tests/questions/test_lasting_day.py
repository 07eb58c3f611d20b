"""The couple's lasting day is one for every domain: after a move west, the latest day the couple
lived lasts, whichever domain's rows show they lived it, or the couple's move was made on it
(api.streaks.days.lasting_day).

A mood posted on Tuesday keeps Tuesday's question today's, a question opened on Tuesday keeps
Tuesday's moods today's, and the recap's current week is the week of that day. The property at
the end checks the three against an oracle of the test's own, over random moves and days.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api import clock as api_clock
from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from tests.conftest import _empty_database, _empty_queue, auth
from tests.factories import CoupleFactory, UserFactory
from tests.questions.conftest import CONTENT, Pair, at

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")


def _move(client: Any, zone: str) -> None:
    response = client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _mood(client: Any, uid: str, mood: int = 3) -> dict[str, Any]:
    body = {"mood": mood, "needs": [], "client_id": str(uuid.uuid4())}
    response = client.post("/v1/couple/moods", json=body, headers=auth(uid))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _get(client: Any, path: str, uid: str = "alex") -> Any:
    response = client.get(path, headers=auth(uid))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_mood_of_tuesday_keeps_the_answered_monday_question_from_coming_back(
    pair: Pair, clock: Any
) -> None:
    _move(pair.client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 2, 10, 0))  # Monday in Tokyo: both answer, it is revealed
    monday = pair.today(pair.alex)
    assert pair.answer(pair.alex, monday["id"], "The sea").status_code == 201
    assert pair.answer(pair.sam, monday["id"], "The hills").status_code == 201
    clock.set(at(TOKYO, 2026, 3, 3, 8, 0))  # Tuesday morning: a mood, nobody opens the question
    assert _mood(pair.client, "alex")["local_date"] == "2026-03-03"

    _move(pair.client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # they land on Monday evening in Los Angeles
    today = pair.today(pair.sam)
    # Tuesday's question, not Monday's again with both answers already shown as today's.
    assert today["local_date"] == "2026-03-03" and today["id"] != monday["id"]
    assert today["my_answer"] is None


def test_a_question_opened_on_tuesday_keeps_mondays_moods_from_coming_back(
    pair: Pair, clock: Any
) -> None:
    _move(pair.client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 2, 20, 0))  # Monday evening in Tokyo
    sams_monday = _mood(pair.client, "sam", mood=1)
    clock.set(at(TOKYO, 2026, 3, 3, 8, 0))  # Tuesday morning: Alex opens the question
    assert pair.today(pair.alex)["local_date"] == "2026-03-03"

    _move(pair.client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 2, 18, 0))  # Monday evening in Los Angeles
    # Sam's Monday mood is not shown to Alex as today's, and a new entry counts for Tuesday.
    assert _get(pair.client, "/v1/couple/moods/today")["partner"] is None
    assert sams_monday["local_date"] == "2026-03-02"
    assert _mood(pair.client, "alex")["local_date"] == "2026-03-03"


def test_the_recaps_current_week_lasts_through_a_flight_west_across_monday(
    pair: Pair, clock: Any
) -> None:
    _move(pair.client, "Asia/Tokyo")
    clock.set(at(TOKYO, 2026, 3, 9, 10, 0))  # Monday of W11 in Tokyo: they open the question
    assert pair.today(pair.alex)["local_date"] == "2026-03-09"

    _move(pair.client, "America/Los_Angeles")
    clock.set(at(LA, 2026, 3, 8, 18, 0))  # still Sunday of W10 in Los Angeles
    newest = _get(pair.client, "/v1/couple/recaps?limit=2")["items"]
    assert [(r["week"], r["in_progress"]) for r in newest] == [
        ("2026-W11", True),
        ("2026-W10", False),
    ]
    assert _get(pair.client, "/v1/couple/recaps/2026-W11")["in_progress"] is True
    assert _get(pair.client, "/v1/couple/recaps/2026-W10")["in_progress"] is False
    # The moods summary, which already kept W11, agrees.
    (week,) = _get(pair.client, "/v1/couple/moods/summary?weeks=1")["weeks"]
    assert week["week"] == "2026-W11"


# -- the property -------------------------------------------------------------------------------

ZONES = (
    "Europe/Berlin",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Kiritimati",
    "Pacific/Auckland",
)
DAY_STARTS = time(4, 0)
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Berlin
ACTIONS = ("mood", "question", "recap", "summary")


@functools.cache
def _questions() -> Any:
    return load(CONTENT / "questions")


def oracle_day(instant: datetime, zone: str) -> date:
    """The couple's day on the wall clock: the date, or the one before it until 04:00.

    None of ZONES moves its clocks between 03:00 and 05:00, so the wall clock decides.
    """
    wall = instant.astimezone(ZoneInfo(zone))
    return wall.date() - timedelta(days=1) if wall.time() < DAY_STARTS else wall.date()


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


STEP = st.tuples(
    st.sampled_from(ZONES),
    st.integers(min_value=0, max_value=30),  # hours the clock moves on before the move
    st.sampled_from(ACTIONS),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, min_size=1, max_size=12))
# The three the tests above tell, always among the examples.
@example(steps=[("Asia/Tokyo", 20, "mood"), ("America/Los_Angeles", 0, "question")])
@example(steps=[("Asia/Tokyo", 20, "question"), ("America/Los_Angeles", 0, "mood")])
@example(steps=[("Asia/Tokyo", 160, "question"), ("America/Los_Angeles", 0, "recap")])
# Back west on a Sunday from a Monday lived only by the move itself: the recap's newest week
# is the Monday's (the recap read the calendar's day without the move's).
@example(
    steps=[
        ("Europe/Berlin", 26, "mood"),
        ("Europe/Berlin", 30, "mood"),
        ("Europe/Berlin", 30, "mood"),
        ("Pacific/Kiritimati", 30, "mood"),
        ("Europe/Berlin", 30, "recap"),
    ]
)
def test_every_domains_today_is_the_oracles_lasting_day(
    app: Flask, steps: list[tuple[str, int, str]]
) -> None:
    """Whatever the moves: today is the zone's day, or the latest day already lived if later
    (a day a row is dated by, or the day the couple was on when it moved)."""
    db.session.remove()
    _empty_database()
    _empty_queue(app)
    import_content(db.session, _questions())
    client = app.test_client()
    instant = START
    api_clock.set_fixed(instant)
    try:
        alex = UserFactory(uid="alex", display_name="Alex", timezone="Europe/Berlin")
        sam = UserFactory(uid="sam", display_name="Sam", timezone="Europe/Berlin")
        CoupleFactory(a=alex, b=sam, timezone="Europe/Berlin")
        db.session.commit()
        # The days the couple's rows are dated by, and the day it was on at each move: a move
        # west does not take back a day the couple already lived, rows or none.
        lived: set[date] = set()
        current = "Europe/Berlin"
        for zone, hours, action in steps:
            instant += timedelta(hours=hours)
            api_clock.set_fixed(instant)
            if zone != current:
                lived.add(oracle_day(instant, current))
            _move(client, zone)
            current = zone
            expected = max([oracle_day(instant, zone), *lived])
            if action == "mood":
                assert _mood(client, "alex")["local_date"] == expected.isoformat()
                lived.add(expected)
            elif action == "question":
                assert _get(client, "/v1/couple/questions/today")["local_date"] == (
                    expected.isoformat()
                )
                lived.add(expected)
            elif action == "recap":
                newest = _get(client, "/v1/couple/recaps?limit=1")["items"][0]
                assert (newest["week"], newest["in_progress"]) == (iso_week(expected), True)
                assert _get(client, f"/v1/couple/recaps/{iso_week(expected)}")["in_progress"]
            else:
                (week,) = _get(client, "/v1/couple/moods/summary?weeks=1")["weeks"]
                assert week["week"] == iso_week(expected)
    finally:
        api_clock.set_fixed(None)
        db.session.remove()
