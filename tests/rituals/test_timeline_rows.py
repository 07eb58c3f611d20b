"""Which schedule rows a timeline is loaded from (api/rituals/history.py in_force_from).

Against an oracle written here: the rows after the bound and the one in force on it (the
latest on or before it), over random histories and bounds, through the read path's JSON
column (a bound that is an SQL expression) and through a plain SELECT (a bound parameter).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, bindparam, delete, insert, select

from api.db_json import as_date, decode
from api.extensions import db
from api.rituals.history import in_force_from, schedules_column
from api.rituals.models import Ritual, RitualSchedule
from tests.paired_couple import pair_in_berlin

START = date(2026, 1, 1)
days_in = st.integers(min_value=0, max_value=60)


def oracle(history: set[date], bound: date) -> set[date]:
    """The rows after ``bound``, and the latest on or before it if there is one."""
    before = [d for d in history if d <= bound]
    return {d for d in history if d > bound} | ({max(before)} if before else set())


@pytest.fixture
def ritual_id(client: FlaskClient, clock: Any) -> int:
    """A ritual of a paired couple: set up once, shared by every example of the test."""
    return pair_in_berlin(client, clock)["rituals"][0]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offsets=st.sets(days_in, max_size=8), bound_offset=days_in)
def test_a_timeline_loads_the_rows_in_force_from_its_bound(
    ritual_id: int, offsets: set[int], bound_offset: int
) -> None:
    history = {START + timedelta(days=n) for n in offsets}
    bound = START + timedelta(days=bound_offset)
    db.session.execute(delete(RitualSchedule).where(RitualSchedule.ritual_id == ritual_id))
    if history:
        db.session.execute(
            insert(RitualSchedule),
            [
                {
                    "ritual_id": ritual_id,
                    "effective_from": d,
                    "days": ["mon"],
                    "time": time(7, 30),
                    "timezone": "Europe/Berlin",
                    "day_starts_at": time(4),
                }
                for d in history
            ],
        )
    rituals = Ritual.__table__.c
    since = bindparam("since", type_=Date)
    # The read path: the rows folded into the ritual's SELECT as JSON.
    column = schedules_column(db.engine.dialect.name, since)
    value = db.session.execute(
        select(column).where(rituals.id == ritual_id), {"since": bound}
    ).scalar_one()
    folded = {as_date(row[0]) for row in decode(value)}
    # The plain condition, as load_timelines and timelines_since use it.
    latest = (
        select(RitualSchedule.effective_from)
        .where(RitualSchedule.ritual_id == ritual_id, RitualSchedule.effective_from <= bound)
        .order_by(RitualSchedule.effective_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    plain = set(
        db.session.scalars(
            select(RitualSchedule.effective_from).where(
                RitualSchedule.ritual_id == ritual_id,
                in_force_from(RitualSchedule.effective_from, latest, bound),
            )
        )
    )
    db.session.rollback()
    assert folded == plain == oracle(history, bound)
