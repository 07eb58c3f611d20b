"""Which schedule rows a timeline is loaded from (api/rituals/history.py in_force_from).

Against an oracle written here: the rows after the bound and the one in force on it (the
latest on or before it), over random histories of two rituals of one couple and random
bounds, through each of the three loaders: the read path's JSON column (its bound an SQL
expression of the outer ritual row, as the streak read's is), load_timelines (a bound per
ritual) and timelines_since (one bound for many rituals).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, bindparam, case, delete, insert, select

from api.db_json import as_date, decode
from api.extensions import db
from api.pairing.models import Couple
from api.rituals.calendar import EPOCH, Timeline
from api.rituals.history import load_timelines, schedules_column, timelines_since
from api.rituals.models import Ritual, RitualSchedule
from tests.paired_couple import pair_in_berlin

START = date(2026, 1, 1)
days_in = st.integers(min_value=0, max_value=60)
histories = st.sets(days_in, max_size=8)


def oracle(history: set[date], bound: date) -> set[date]:
    """The rows after ``bound``, and the latest on or before it if there is one."""
    before = [d for d in history if d <= bound]
    return {d for d in history if d > bound} | ({max(before)} if before else set())


def loaded(timeline: Timeline) -> set[date]:
    """The effective_from days a timeline was built from (none: the ritual's fallback)."""
    days = {day for day, _ in timeline.entries}
    return set() if days == {EPOCH} else days


def store(ritual_id: int, history: set[date]) -> None:
    """Replace the ritual's schedule rows with one row per day of ``history``."""
    db.session.execute(delete(RitualSchedule).where(RitualSchedule.ritual_id == ritual_id))
    if history:
        db.session.execute(
            insert(RitualSchedule),
            [
                {
                    "ritual_id": ritual_id,
                    "effective_from": day,
                    "days": ["mon"],
                    "time": time(7, 30),
                    "timezone": "Europe/Berlin",
                    "day_starts_at": time(4),
                }
                for day in history
            ],
        )


@pytest.fixture
def ritual_ids(client: FlaskClient, clock: Any) -> list[int]:
    """The two rituals of a paired couple: set up once, shared by every example of the test."""
    return pair_in_berlin(client, clock)["rituals"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=histories,
    second=histories,
    first_bound=days_in,
    second_bound=days_in,
)
def test_a_timeline_loads_the_rows_in_force_from_its_bound(
    ritual_ids: list[int], first: set[int], second: set[int], first_bound: int, second_bound: int
) -> None:
    days = [{START + timedelta(days=n) for n in h} for h in (first, second)]
    bounds = [START + timedelta(days=n) for n in (first_bound, second_bound)]
    for ritual_id, history in zip(ritual_ids, days, strict=True):
        store(ritual_id, history)
    rituals = [db.session.get(Ritual, ritual_id) for ritual_id in ritual_ids]
    couple = db.session.get(Couple, rituals[0].couple_id)  # type: ignore[union-attr]
    expected = [oracle(h, b) for h, b in zip(days, bounds, strict=True)]

    # The read path: each ritual's rows folded into its SELECT as JSON, the bound a CASE of
    # the outer row (its own bound for each ritual).
    table = Ritual.__table__.c
    since = case(
        (table.id == ritual_ids[0], bindparam("first", type_=Date)),
        else_=bindparam("second", type_=Date),
    )
    column = schedules_column(db.engine.dialect.name, since)
    rows = db.session.execute(
        select(table.id, column).where(table.id.in_(ritual_ids)).order_by(table.id),
        {"first": bounds[0], "second": bounds[1]},
    ).all()
    folded = [{as_date(row[0]) for row in decode(value)} for _, value in rows]

    # load_timelines: a bound per ritual.
    since_of = dict(zip(ritual_ids, bounds, strict=True))
    per_ritual = load_timelines(db.session, couple, rituals, since_of)  # type: ignore[arg-type]
    # timelines_since: one bound for both (the first ritual's).
    shared = timelines_since(db.session, [(r, couple) for r in rituals], bounds[0])  # type: ignore[misc]
    db.session.rollback()

    assert folded == expected
    assert [loaded(per_ritual[i]) for i in ritual_ids] == expected
    assert [loaded(shared[i]) for i in ritual_ids] == [oracle(h, bounds[0]) for h in days]
