"""Ids in a body or a cursor that no row can have answer 422, never a 500.

Before ids were bounded, a number past what the key column holds reached the database:
PostgreSQL failed with "integer out of range" past 2**31 (INTEGER keys), SQLite could not
bind past 2**63, and either was a 500. (Ids in paths: see the 404s of
tests/test_authorization_sweep.py.)
"""

from __future__ import annotations

import base64
import json
import uuid
from types import SimpleNamespace

import pytest

from api.affirmations.models import GratitudeEntry
from api.errors import Invalid
from api.ids import MAX_BIG_ID, MAX_ID
from api.notifications.models import Notification
from api.pagination import by_id
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

PAST = [MAX_BIG_ID + 1, 10**30, -(10**30), 0, True, "12"]


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": value}).encode()).decode().rstrip("=")


@pytest.fixture
def couple():
    return CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam"))


def assert_422_on(response, field: str) -> None:
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


@pytest.mark.parametrize("value", PAST)
@pytest.mark.parametrize(
    "path",
    ["/v1/notifications", "/v1/couple/gratitude", "/v1/couple/affirmations", "/v1/affirmations"],
)
def test_a_cursor_past_any_row_id_is_422(client, couple, path, value):
    response = client.get(path, query_string={"cursor": cursor_of(value)}, headers=auth("alex"))
    assert_422_on(response, "cursor")


@pytest.mark.parametrize("path", ["/v1/couple/gratitude", "/v1/couple/affirmations"])
def test_a_cursor_past_an_integer_key_is_422(client, couple, path):
    response = client.get(
        path, query_string={"cursor": cursor_of(MAX_ID + 1)}, headers=auth("alex")
    )
    assert_422_on(response, "cursor")


def test_the_feed_pages_by_a_bigint_key(client, couple):
    """Notification ids are BIGINT: a cursor past 2**31 is one the feed may give out."""
    response = client.get(
        "/v1/notifications", query_string={"cursor": cursor_of(MAX_ID + 1)}, headers=auth("alex")
    )
    assert response.status_code == 200, response.get_json()


def test_cursors_round_trip_up_to_the_largest_id_of_their_key():
    gratitude, feed = by_id(GratitudeEntry.id), by_id(Notification.id)

    def round_trip(keyset, last_id):
        return keyset.decode(keyset.encode(SimpleNamespace(id=last_id)))["cursor_after"]

    assert round_trip(gratitude, MAX_ID) == MAX_ID
    assert round_trip(feed, MAX_BIG_ID) == MAX_BIG_ID
    with pytest.raises(Invalid):
        round_trip(gratitude, MAX_ID + 1)
    with pytest.raises(Invalid):
        round_trip(feed, MAX_BIG_ID + 1)


@pytest.mark.parametrize("value", [MAX_BIG_ID + 1, 10**30])
def test_mark_read_up_to_an_id_past_any_row_is_422(client, couple, value):
    response = client.post("/v1/notifications/read", json={"up_to_id": value}, headers=auth("alex"))
    assert_422_on(response, "up_to_id")


def test_mark_read_up_to_the_largest_id_is_fine(client, couple):
    response = client.post(
        "/v1/notifications/read", json={"up_to_id": MAX_BIG_ID}, headers=auth("alex")
    )
    assert response.status_code == 204


@pytest.mark.parametrize("value", [MAX_ID + 1, MAX_BIG_ID + 1, 10**30])
def test_sending_an_affirmation_id_past_any_row_is_422(client, couple, value):
    response = client.post(
        "/v1/couple/affirmations",
        json={"affirmation_id": value, "client_id": str(uuid.uuid4())},
        headers=auth("alex"),
    )
    assert_422_on(response, "affirmation_id")
