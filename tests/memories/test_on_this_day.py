"""On this day and anniversaries: 09:00 couple-local, once a day, DST, leap days, far zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from api.extensions import db
from api.memories.models import OnThisDaySchedule
from api.memories.on_this_day import next_day
from api.notifications.models import Notification
from api.users.models import User
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory
from tests.memories.conftest import Couple, new_memory
from workers import memories_jobs

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def tick() -> int:
    return memories_jobs.on_this_day_tick()


def due(couple_id: int) -> datetime | None:
    db.session.expire_all()
    return db.session.get(OnThisDaySchedule, couple_id).next_due_at


def pushes() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_a_memory_comes_back_at_0900_on_its_day_once(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    secret = "The night we got lost in Lisbon"
    memory = new_memory(client, happened_on="2024-06-01", title=secret, text="so many stairs")
    # 09:00 in Berlin on 1 June is 07:00 UTC (summer time).
    assert due(pair.id) == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    clock.set(datetime(2026, 6, 1, 6, 59, tzinfo=UTC))
    assert tick() == 0
    clock.set(datetime(2026, 6, 1, 7, 0, 30, tzinfo=UTC))
    assert tick() == 2
    sent = pushes()
    assert {n.recipient_id for n in sent} == {pair.alex, pair.sam}
    for n in sent:
        assert n.category == "memory"
        assert n.title == "A memory from 2 years ago today"
        assert secret not in n.title + n.body and "stairs" not in n.body
        assert n.data["memory_ids"] == str(memory["id"])
        assert n.data["local_date"] == "2026-06-01"
    clock.advance(minutes=1)
    assert tick() == 0  # once per couple per day
    assert len(pushes()) == 2
    assert due(pair.id) == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)


def test_a_memory_of_this_year_waits_for_next_year(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    new_memory(client, happened_on="2026-03-04")
    assert due(pair.id) == datetime(2027, 3, 4, 8, 0, tzinfo=UTC)


def test_dst_days_keep_0900_local(client: FlaskClient, pair: Couple, clock: Any) -> None:
    """Berlin springs forward on 29 March 2026 and falls back on 25 October."""
    clock.set(T0)
    new_memory(client, happened_on="2025-03-28")
    new_memory(client, happened_on="2025-03-29")
    new_memory(client, happened_on="2025-10-25")
    new_memory(client, happened_on="2025-10-26")
    expected = [
        datetime(2026, 3, 28, 8, 0, tzinfo=UTC),  # CET, +1
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # CEST, +2 (the night lost an hour)
        datetime(2026, 10, 25, 8, 0, tzinfo=UTC),  # CET again (the night gained one)
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
    ]
    seen = []
    for instant in expected:
        assert due(pair.id) == instant
        clock.set(instant)
        assert tick() == 2
        seen.append(pushes()[-1].data["local_date"])
    assert seen == ["2026-03-28", "2026-03-29", "2026-10-25", "2026-10-26"]


def test_a_29_february_memory_comes_back_on_28_february_in_common_years(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(datetime(2024, 3, 10, 12, 0, tzinfo=UTC))
    new_memory(client, happened_on="2024-02-29", title="Leap day picnic")
    new_memory(client, happened_on="2023-02-28", title="Skating")
    expected = [
        (datetime(2025, 2, 28, 8, 0, tzinfo=UTC), "2 memories from this day"),
        (datetime(2026, 2, 28, 8, 0, tzinfo=UTC), "2 memories from this day"),
        (datetime(2027, 2, 28, 8, 0, tzinfo=UTC), "2 memories from this day"),
        # 2028 has a 29 February: each memory on its own day again.
        (datetime(2028, 2, 28, 8, 0, tzinfo=UTC), "A memory from 5 years ago today"),
        (datetime(2028, 2, 29, 8, 0, tzinfo=UTC), "A memory from 4 years ago today"),
    ]
    for instant, title in expected:
        assert due(pair.id) == instant
        clock.set(instant)
        assert tick() == 2
        assert pushes()[-1].title == title, instant


def test_a_couple_far_from_utc_gets_it_at_0900_their_time(client: FlaskClient, clock: Any) -> None:
    """Auckland (UTC+13 in March): 09:00 on 5 March there is 20:00 on 4 March in UTC."""
    couple = CoupleFactory(
        a=UserFactory(uid="kiri"), b=UserFactory(uid="ana"), timezone="Pacific/Auckland"
    )
    clock.set(T0)
    new_memory(client, "kiri", happened_on="2025-03-05")
    assert due(couple.id) == datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    clock.set(datetime(2026, 3, 4, 19, 59, tzinfo=UTC))
    assert tick() == 0
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    assert tick() == 2
    assert {n.data["local_date"] for n in pushes()} == {"2026-03-05"}


def test_the_anniversary_comes_round_and_follows_the_couples_changes(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    patch = client.patch("/v1/couple", json={"anniversary": "2023-03-10"}, headers=auth("sam"))
    assert patch.status_code == 200
    assert due(pair.id) == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    # A move to New York moves the push to 09:00 there (EDT from 8 March: UTC-4).
    client.patch("/v1/couple", json={"timezone": "America/New_York"}, headers=auth("alex"))
    assert due(pair.id) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    assert tick() == 2
    assert {n.title for n in pushes()} == {"3 years together today"}
    assert {n.data["event"] for n in pushes()} == {"anniversary"}
    # Summer time starts later in 2027 (14 March): 09:00 EST is 14:00 UTC.
    assert due(pair.id) == datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
    client.patch("/v1/couple", json={"anniversary": None}, headers=auth("alex"))
    assert due(pair.id) is None


def test_each_partner_reads_it_in_their_language(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    db.session.get(User, pair.sam).locale = "es-ES"
    db.session.commit()
    clock.set(T0)
    client.patch("/v1/couple", json={"anniversary": "2025-02-01"}, headers=auth("sam"))
    new_memory(client, happened_on="2024-02-01")
    clock.set(datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    assert tick() == 4
    by_user = {(n.recipient_id, n.data["event"]): n.title for n in pushes()}
    assert by_user == {
        (pair.alex, "on_this_day"): "A memory from 2 years ago today",
        (pair.alex, "anniversary"): "1 year together today",
        (pair.sam, "on_this_day"): "Un recuerdo de hace 2 años, tal día como hoy",
        (pair.sam, "anniversary"): "1 año juntos hoy",
    }


def test_a_tick_hours_late_skips_to_next_year(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    new_memory(client, happened_on="2024-06-01")
    clock.set(datetime(2026, 6, 1, 10, 1, tzinfo=UTC))  # 12:01 in Berlin: clock was down
    assert tick() == 0
    assert pushes() == []
    assert due(pair.id) == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)


def test_deleted_memories_and_unpaired_couples_bring_nothing_back(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    clock.set(T0)
    gone = new_memory(client, happened_on="2024-06-01")
    new_memory(client, happened_on="2024-08-01")
    assert (
        client.delete(f"/v1/couple/memories/{gone['id']}", headers=auth("alex")).status_code == 204
    )
    assert due(pair.id) == datetime(2026, 8, 1, 7, 0, tzinfo=UTC)
    assert client.delete("/v1/couple", headers=auth("sam")).status_code == 204
    clock.set(datetime(2026, 8, 1, 7, 0, tzinfo=UTC))
    assert tick() == 0
    assert pushes() == [n for n in pushes() if n.category == "pairing"]
    assert due(pair.id) is None


def test_a_tick_claims_only_what_is_due(client: FlaskClient, clock: Any) -> None:
    clock.set(T0)
    couples = [
        CoupleFactory(a=UserFactory(uid=f"a{i}"), b=UserFactory(uid=f"b{i}")) for i in range(3)
    ]
    for i, _couple in enumerate(couples):
        new_memory(client, f"a{i}", happened_on=f"2024-0{i + 2}-01")
    clock.set(datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    from api.memories.on_this_day import run_due

    result = run_due(db.session, moment=datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    assert (result.couples, result.notifications) == (1, 2)
    db.session.remove()


@pytest.mark.parametrize(
    ("earliest", "start", "expected"),
    [
        ({229: 2024}, date(2025, 1, 1), date(2025, 2, 28)),
        ({229: 2024}, date(2027, 3, 1), date(2028, 2, 29)),
        ({1231: 2025}, date(2025, 12, 31), date(2026, 12, 31)),
        ({101: 2026}, date(2026, 1, 1), date(2027, 1, 1)),
        ({}, date(2026, 1, 1), None),
    ],
)
def test_next_day(earliest: dict[int, int], start: date, expected: date | None) -> None:
    assert next_day(earliest, start) == expected


def test_a_second_clock_meeting_the_same_day_writes_nothing_twice(
    client: FlaskClient, pair: Couple, clock: Any
) -> None:
    """The dedupe key, not the schedule row, is what makes "once per couple per day" a fact."""
    clock.set(T0)
    new_memory(client, happened_on="2024-06-01")
    at = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    clock.set(at)
    assert tick() == 2
    # As if another clock had read the row before this one moved it on.
    schedule = db.session.get(OnThisDaySchedule, pair.id)
    schedule.next_due_at, schedule.last_sent_on = at, None
    db.session.commit()
    assert tick() == 0
    assert len(pushes()) == 2
