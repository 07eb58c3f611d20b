"""A cursor the API did not give out answers 422 on `cursor` on every paged list, never a 500.

Each list decoded its cursor on its own, and each trusted what it found: a recap cursor of
Monday 0001-01-01 overflowed the date arithmetic (500), one of a future Monday listed recaps
of weeks still to come, and a cursor of nested brackets exhausted the JSON parser (500 on
every list). The lists are read from the spec, so a new paged list is covered as it is added.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from api.extensions import db
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory, UserFactory

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday of 2026-W10


def forge(payload: Any) -> str:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# Every shape the encoders write (recap, id, by-day, memory, library), with values out of any
# real range, and JSON that is not a cursor's object at all.
FORGED = [
    forge({"before": "0001-01-01"}),  # a Monday: the first day Python has
    forge({"before": "9999-12-27"}),  # a Monday near the last day
    forge({"before": "2099-01-05"}),  # a Monday of a week still to come
    forge({"before": "20260302"}),  # a Monday, not written as the encoder writes days
    forge({"day": "0001-01-01", "after": 1}),
    forge({"day": "9999-12-31", "after": 2**63}),
    forge({"d": "0001-01-01", "i": 0}),
    forge({"d": "2026-W10-1", "i": 1}),
    forge({"after": 1, "rank": 7}),
    forge("[" * 5000),
    forge("[]"),
    forge('"2026-03-02"'),
    forge("null"),
]


def paged_lists(client: Any) -> list[str]:
    """Every GET of the spec that takes `?cursor=`."""
    spec = client.get("/openapi.json").get_json()
    return [
        path
        for path, item in spec["paths"].items()
        if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))
    ]


@pytest.fixture
def ritual_id(clock: Any) -> int:
    clock.set(NOW)
    couple = CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))
    couple.paired_at = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)  # 2026-W07
    db.session.commit()
    return RitualFactory(couple=couple).id


def test_every_paged_list_refuses_a_forged_cursor_with_a_422(client: Any, ritual_id: int) -> None:
    paths = paged_lists(client)
    assert "/v1/couple/recaps" in paths and len(paths) >= 9
    for path in paths:
        url = path.replace("{ritual_id}", str(ritual_id))
        for cursor in FORGED:
            response = client.get(url, query_string={"cursor": cursor}, headers=auth("alex"))
            # A cursor of the list's own shape with an in-range value may simply match no row.
            if response.status_code == 200:
                continue
            assert response.status_code == 422, (path, cursor, response.status_code)
            assert list(response.get_json()["errors"]) == ["cursor"], (path, cursor)


@pytest.mark.parametrize(
    "before",
    [
        "0001-01-01",  # the overflow (500)
        "2099-01-05",  # weeks that have not happened
        "2026-03-09",  # next week
        "2026-02-02",  # the week before the couple paired
        "2026-03-03",  # not a Monday
    ],
)
def test_a_recap_cursor_outside_the_couples_weeks_is_a_422(
    client: Any, ritual_id: int, before: str
) -> None:
    response = client.get(
        "/v1/couple/recaps",
        query_string={"cursor": forge({"before": before})},
        headers=auth("alex"),
    )
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == ["cursor"]


def test_recap_cursors_given_out_page_back_to_the_pairing_week(client: Any, ritual_id: int) -> None:
    weeks: list[str] = []
    cursor = None
    while True:
        query = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/couple/recaps", query_string=query, headers=auth("alex")).get_json()
        weeks += [r["week"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert weeks == ["2026-W10", "2026-W09", "2026-W08", "2026-W07"]
