"""Check-in history: by day, newest first, whatever order the check-ins were made in."""

from __future__ import annotations

from datetime import date

from tests.conftest import auth
from tests.streaks.conftest import BERLIN, at


def test_history_is_ordered_by_day_newest_first_across_pages(pair, clock):
    ritual = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 3, 12, 0))
    # Today's check-in first, then yesterday's (late): by id yesterday would come first.
    assert pair.check_in(pair.alex, ritual).status_code == 201
    assert pair.check_in(pair.sam, ritual, local_date=date(2026, 3, 2)).status_code == 201
    assert pair.check_in(pair.alex, ritual, local_date=date(2026, 3, 2)).status_code == 201
    assert pair.check_in(pair.sam, ritual).status_code == 201

    url = f"/v1/couple/rituals/{ritual.id}/check-ins"
    whole = pair.client.get(url, headers=auth("alex")).get_json()["items"]
    days = [c["local_date"] for c in whole]
    assert days == ["2026-03-03", "2026-03-03", "2026-03-02", "2026-03-02"]
    # Within a day, the later check-in first.
    assert whole[0]["id"] > whole[1]["id"] and whole[2]["id"] > whole[3]["id"]

    seen = []
    cursor = None
    while True:
        query = f"?limit=1&cursor={cursor}" if cursor else "?limit=1"
        page = pair.client.get(url + query, headers=auth("alex")).get_json()
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in whole]


def test_a_cursor_from_another_listing_is_refused(pair, clock):
    ritual = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 3, 12, 0))
    response = pair.client.get(
        f"/v1/couple/rituals/{ritual.id}/check-ins?cursor=eyJhZnRlciI6IDN9", headers=auth("alex")
    )
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]
