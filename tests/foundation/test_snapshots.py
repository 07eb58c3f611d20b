"""The frozen snapshots a read gets for its user and couple (api/snapshots.py, api/auth.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from api.pairing.models import Couple, CoupleSnapshot
from api.users.models import User, UserSnapshot


@pytest.mark.parametrize(("model", "snapshot"), [(User, UserSnapshot), (Couple, CoupleSnapshot)])
def test_a_snapshot_has_every_column_attribute_of_its_model(model: type, snapshot: type) -> None:
    """A column added to the model is in its snapshot too: a read never misses one."""
    assert [f.name for f in dataclasses.fields(snapshot)] == [
        column.key for column in model.__mapper__.column_attrs
    ]


def test_a_snapshot_cannot_be_written_through() -> None:
    """A read that assigned to its user would change nothing: it raises instead."""
    names = [f.name for f in dataclasses.fields(UserSnapshot)]
    user = UserSnapshot(**{name: None for name in names} | {"id": 7, "locale": "en"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.locale = "de"  # type: ignore[misc]


def test_a_couple_snapshot_knows_its_partners_as_the_model_does() -> None:
    values = {f.name: None for f in dataclasses.fields(CoupleSnapshot)}
    values |= {"id": 1, "user_a_id": 10, "user_b_id": 20, "paired_at": datetime.now(UTC)}
    snapshot = CoupleSnapshot(**values)
    model = Couple(**values)
    assert snapshot.partner_ids == model.partner_ids == [10, 20]
    assert snapshot.partner_of(10) == model.partner_of(10) == 20
    assert snapshot.partner_of(20) == model.partner_of(20) == 10
    alone = CoupleSnapshot(**values | {"user_b_id": None})
    assert alone.partner_ids == [10]
