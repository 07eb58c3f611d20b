"""Spec precision (from fuzzing): the spec says what the code enforces, and no body value is
silently bent into shape.

Before: 30.9 in an integer field was truncated to 30 (200/201); the spec had no pattern for
HH:MM or time-zone names, no bound on the one emoji, no "affirmation_id xor text", no word on
today-or-yesterday check-in days. After: 422 for a float; each rule is in the spec, and the
patterns accept exactly what the code accepts.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.fields import HHMM, HHMM_PATTERN, TIMEZONE_PATTERN, known_timezones
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory
from tests.hardening.framing import FRAMINGS, send


@pytest.fixture
def couple():
    return CoupleFactory(a__uid="alex", b__uid="sam", timezone="Europe/Berlin")


def _body(obj) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("number", [30.9, 30.0, 1e2])
def test_a_float_in_an_integer_field_is_422_not_truncated(client, couple, framing, number):
    ritual = RitualFactory(couple=couple, created_by_id=couple.user_a_id)
    path = f"/v1/couple/rituals/{ritual.id}"
    before = client.get(path, headers=auth("alex")).get_json()["reminder"]
    patch = _body({"reminder": {"enabled": True, "minutes_before": number}})
    response = send(client, "PATCH", path, patch, framing=framing, headers=auth("alex"))
    assert response.status_code == 422
    assert "reminder" in response.get_json()["errors"]
    assert client.get(path, headers=auth("alex")).get_json()["reminder"] == before
    message = _body({"affirmation_id": number, "client_id": str(uuid.uuid4())})
    response = send(
        client, "POST", "/v1/couple/affirmations", message, framing=framing, headers=auth("alex")
    )
    assert response.status_code == 422
    assert "affirmation_id" in response.get_json()["errors"]
    read = _body({"up_to_id": number})
    response = send(
        client, "POST", "/v1/notifications/read", read, framing=framing, headers=auth("alex")
    )
    assert response.status_code == 422


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


def _properties(spec: dict):
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            yield name, field, prop


def test_every_wall_time_and_time_zone_field_has_its_pattern(spec):
    wall = {"start", "end", "time", "day_starts_at"}
    zones = {"timezone"}
    seen = {"wall": 0, "zone": 0}
    for name, field, prop in _properties(spec):
        if field in wall and prop.get("type") == "string":
            assert prop.get("pattern") == HHMM_PATTERN, (name, field)
            seen["wall"] += 1
        if field in zones and name.endswith(("In", "Patch")):
            assert prop.get("pattern") == TIMEZONE_PATTERN, (name, field)
            assert "IANA" in prop["description"], (name, field)
            seen["zone"] += 1
    assert seen["wall"] >= 5 and seen["zone"] >= 3, seen


@given(st.from_regex(HHMM_PATTERN, fullmatch=True))
def test_every_time_the_pattern_allows_the_code_accepts(value):
    assert HHMM.fullmatch(value)


@given(st.text(alphabet="0123456789:", min_size=0, max_size=6))
def test_the_pattern_and_the_code_agree_on_any_string(value):
    assert bool(re.fullmatch(HHMM_PATTERN, value)) == bool(HHMM.fullmatch(value))


def test_the_zone_pattern_admits_every_zone_of_the_tz_database():
    assert all(re.fullmatch(TIMEZONE_PATTERN, zone) for zone in known_timezones())


def test_affirmation_id_xor_text_is_in_the_spec_and_enforced(spec, client, couple):
    send_schema = spec["components"]["schemas"]["Send"]
    assert send_schema["oneOf"] == [{"required": ["affirmation_id"]}, {"required": ["text"]}]
    for body in (
        {"client_id": str(uuid.uuid4())},
        {"client_id": str(uuid.uuid4()), "text": "x", "affirmation_id": 1},
    ):
        response = client.post("/v1/couple/affirmations", json=body, headers=auth("alex"))
        assert response.status_code == 422


def test_one_emoji_and_check_in_days_are_described(spec):
    emoji = spec["components"]["schemas"]["Reaction"]["properties"]["emoji"]
    assert emoji["maxLength"] == 16 and "one emoji" in emoji["description"]
    local_date = spec["components"]["schemas"]["CheckInIn"]["properties"]["local_date"]
    assert "today or yesterday" in local_date["description"]


def test_the_longest_emoji_sequences_fit_the_bound(client, couple):
    from sqlalchemy import select

    from api.affirmations.models import AffirmationMessage
    from api.extensions import db

    sent = client.post(
        "/v1/couple/affirmations",
        json={"text": "hi", "client_id": str(uuid.uuid4())},
        headers=auth("alex"),
    )
    message_id = sent.get_json()["id"]
    assert db.session.scalar(select(AffirmationMessage.id)) == message_id
    db.session.remove()
    import emoji as emoji_package

    # The longest sequence the emoji package knows is within the spec's maxLength.
    longest = max(emoji_package.EMOJI_DATA, key=len)
    assert len(longest) <= 16
    for emoji in (longest, "❤️"):
        response = client.put(
            f"/v1/couple/affirmations/{message_id}/reaction",
            json={"emoji": emoji},
            headers=auth("sam"),
        )
        assert response.status_code == 200, response.get_json()
