"""GET /v1/affirmations/daily after a move west. Its day is the user's own (midnight in the
user's zone, not the couple's day): the calendar goes back by one, and the suggestion of the
latest day already shown lasts, as the couple's lasting day does (api.streaks.days), instead
of yesterday's coming back until the new zone reaches the day after it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from api.affirmations import service
from api.extensions import db
from api.users.models import User
from tests.affirmations.test_affirmation_library import small_library
from tests.conftest import auth
from tests.factories import UserFactory
from tests.test_query_counts import counting

TOKYO, LA = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
SLUGS = [f"item-{n}" for n in range(5)]


def _at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def _daily(client: FlaskClient) -> str:
    response = client.get("/v1/affirmations/daily", headers=auth("kai"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["slug"]


def _move(client: FlaskClient, zone: str) -> None:
    response = client.patch("/v1/me", json={"timezone": zone}, headers=auth("kai"))
    assert response.status_code == 200, response.get_json()


def test_the_suggestion_of_the_day_shown_lasts_through_a_flight_west(
    client: FlaskClient, clock: Any, tmp_path: Any
) -> None:
    small_library(tmp_path, *SLUGS)
    UserFactory(uid="kai", timezone="Asia/Tokyo")
    clock.set(_at(TOKYO, 2026, 3, 2, 9, 0))  # Monday in Tokyo
    monday = _daily(client)
    clock.set(_at(TOKYO, 2026, 3, 3, 9, 0))  # Tuesday in Tokyo
    tuesday = _daily(client)
    assert tuesday != monday

    _move(client, "America/Los_Angeles")
    clock.set(_at(LA, 2026, 3, 2, 18, 0))  # Monday evening again, in Los Angeles
    assert _daily(client) == tuesday  # not Monday's again
    user = db.session.query(User).filter_by(uid="kai").one()
    with counting() as statements:  # a read after the day's first: still one statement
        assert service.daily(db.session, user=user).slug == tuesday
    assert len(statements) == 1
    clock.set(_at(LA, 2026, 3, 3, 12, 0))  # Tuesday in Los Angeles: the same day still
    assert _daily(client) == tuesday
    clock.set(_at(LA, 2026, 3, 4, 12, 0))  # Wednesday: a new suggestion, none repeated
    wednesday = _daily(client)
    assert wednesday not in (monday, tuesday)
    later = []
    for day in (5, 6):
        clock.set(_at(LA, 2026, 3, day, 12, 0))
        later.append(_daily(client))
    assert sorted([monday, tuesday, wednesday, *later]) == SLUGS


def test_without_a_day_shown_ahead_the_new_zones_calendar_is_the_day(
    client: FlaskClient, clock: Any, tmp_path: Any
) -> None:
    small_library(tmp_path, *SLUGS)
    UserFactory(uid="kai", timezone="America/Los_Angeles")
    clock.set(_at(LA, 2026, 3, 2, 18, 0))
    monday = _daily(client)
    _move(client, "Asia/Tokyo")  # east: Tuesday already, a new suggestion
    assert _daily(client) != monday
