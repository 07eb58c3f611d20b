"""On this day after a move east: a day's 09:00 push still ahead in the old zone but behind in
the new one (or due there, the tick not yet run) is sent once, right after the move, for that
day, never skipped to the next memory's day and never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from tests.conftest import auth
from tests.memories.conftest import Couple, new_memory
from tests.memories.test_on_this_day import due, pushes, tick
from tests.questions.conftest import at

BERLIN, TOKYO, LA = (
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Tokyo"),
    ZoneInfo("America/Los_Angeles"),
)
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def _move(client: FlaskClient, zone: str) -> None:
    response = client.patch("/v1/couple", json={"timezone": zone}, headers=auth("alex"))
    assert response.status_code == 200, response.get_json()


def _days_pushed() -> list[str]:
    return [n.data["local_date"] for n in pushes() if n.category == "memory"]


def test_a_move_east_past_0900_sends_the_days_push_once(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    new_memory(client, happened_on="2024-06-01")
    _move(client, "America/Los_Angeles")
    # 08:00 in Los Angeles on 1 June, the push an hour ahead; in Berlin it is 17:00.
    clock.set(at(LA, 2026, 6, 1, 8, 0))
    _move(client, "Europe/Berlin")
    clock.advance(minutes=1)
    assert tick() == 2
    assert _days_pushed() == ["2026-06-01", "2026-06-01"]
    assert due(pair.id) == at(BERLIN, 2027, 6, 1, 9, 0)
    # Back to Los Angeles the same day: its 09:00 comes again there, the day is done.
    _move(client, "America/Los_Angeles")
    assert due(pair.id) == at(LA, 2026, 6, 1, 9, 0)
    clock.set(at(LA, 2026, 6, 1, 9, 0))
    assert tick() == 0
    assert _days_pushed() == ["2026-06-01", "2026-06-01"]


def test_a_move_east_into_the_next_date_sends_both_days_once(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    new_memory(client, happened_on="2024-06-01")
    new_memory(client, happened_on="2023-06-02")
    _move(client, "America/Los_Angeles")
    # 08:00 in Los Angeles on 1 June is midnight of 2 June in Tokyo.
    clock.set(at(LA, 2026, 6, 1, 8, 0))
    _move(client, "Asia/Tokyo")
    clock.advance(minutes=1)
    assert tick() == 2
    assert _days_pushed() == ["2026-06-01", "2026-06-01"]
    assert due(pair.id) == at(TOKYO, 2026, 6, 2, 9, 0)
    clock.set(at(TOKYO, 2026, 6, 2, 9, 0))
    assert tick() == 2
    assert _days_pushed() == ["2026-06-01", "2026-06-01", "2026-06-02", "2026-06-02"]


def test_a_push_due_when_the_couple_moves_east_is_sent_by_the_late_tick(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    new_memory(client, happened_on="2024-06-01")
    # Berlin's 09:00 falls due; the tick runs ten minutes late, after a move to Tokyo (16:05).
    clock.set(at(BERLIN, 2026, 6, 1, 9, 5))
    _move(client, "Asia/Tokyo")
    clock.advance(minutes=5)
    assert tick() == 2
    assert _days_pushed() == ["2026-06-01", "2026-06-01"]
    clock.advance(minutes=1)
    assert tick() == 0
    assert due(pair.id) == at(TOKYO, 2027, 6, 1, 9, 0)


def test_a_move_east_hours_after_a_missed_0900_does_not_bring_it_back(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    new_memory(client, happened_on="2024-06-01")
    # The clock was down at Berlin's 09:00; four hours later the couple moves to Tokyo.
    clock.set(at(BERLIN, 2026, 6, 1, 9, 0) + timedelta(hours=4))
    _move(client, "Asia/Tokyo")
    assert tick() == 0
    assert _days_pushed() == []
    assert due(pair.id) == at(TOKYO, 2027, 6, 1, 9, 0)
