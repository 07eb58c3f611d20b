"""/v1/me and identity in dev mode."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.devices.models import Device
from api.extensions import db
from api.users.models import User
from tests.conftest import auth


def test_first_call_provisions_the_user(client):
    response = client.get("/v1/me", headers=auth("alex"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["couple_id"] is None
    assert body["timezone"] == "UTC"
    assert body["quiet_hours"] is None
    assert body["notification_preferences"] == {
        "ritual_reminders": True,
        "partner_activity": True,
        "streaks": True,
        "affirmations": True,
        "daily_question": True,
        "moods": True,
        "memories": True,
        "recap": True,
    }
    assert body["created_at"].endswith("Z")
    again = client.get("/v1/me", headers=auth("alex")).get_json()
    assert again["id"] == body["id"]


def test_missing_and_malformed_tokens_are_401_problems(client):
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        auth("has space"),
        auth("x" * 129),
        {"Authorization": "Bearer dev:"},
    ):
        response = client.get("/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.content_type == "application/problem+json"
        assert response.get_json()["status"] == 401


def test_patch_updates_only_given_fields(client):
    response = client.patch(
        "/v1/me",
        json={
            "display_name": "Sam",
            "timezone": "America/New_York",
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "notification_preferences": {"streaks": False},
        },
        headers=auth("sam"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["display_name"] == "Sam"
    assert body["timezone"] == "America/New_York"
    assert body["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert body["notification_preferences"]["streaks"] is False
    assert body["notification_preferences"]["affirmations"] is True
    assert client.get("/v1/me", headers=auth("sam")).get_json() == body
    cleared = client.patch("/v1/me", json={"quiet_hours": None}, headers=auth("sam"))
    assert cleared.get_json()["quiet_hours"] is None


def test_bad_patch_is_422_and_changes_nothing(client):
    before = client.get("/v1/me", headers=auth("kim")).get_json()
    cases = [
        {"timezone": "Mars/Olympus"},
        {"timezone": "Europe/Berlin", "id": 5},
        {"couple_id": 3},
        {"display_name": ""},
        {"quiet_hours": {"start": "25:00", "end": "07:00"}},
        {"quiet_hours": {"start": "7:00", "end": "08:00"}},
        {"locale": "english please"},
        {"notification_preferences": {"marketing": True}},
    ]
    for payload in cases:
        response = client.patch("/v1/me", json=payload, headers=auth("kim"))
        assert response.status_code == 422, payload
        problem = response.get_json()
        assert response.content_type == "application/problem+json"
        assert problem["errors"], payload
    assert client.get("/v1/me", headers=auth("kim")).get_json() == before


def test_timezone_error_names_the_field(client):
    response = client.patch("/v1/me", json={"timezone": "Nowhere"}, headers=auth("kim"))
    assert "timezone" in response.get_json()["errors"]


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules"])
def test_names_the_tz_database_lists_but_nobody_lives_in_are_422(client, name):
    """available_timezones() lists them; the TimeZone field, the one check, does not take them."""
    before = client.get("/v1/me", headers=auth("kim")).get_json()
    response = client.patch("/v1/me", json={"timezone": name}, headers=auth("kim"))
    assert response.status_code == 422
    assert "timezone" in response.get_json()["errors"]
    assert client.get("/v1/me", headers=auth("kim")).get_json() == before


def test_delete_me_erases_the_account_and_devices(client):
    client.post(
        "/v1/devices", json={"token": "tok-erase-1", "platform": "ios"}, headers=auth("eve")
    )
    client.patch("/v1/me", json={"display_name": "Eve"}, headers=auth("eve"))
    assert client.delete("/v1/me", headers=auth("eve")).status_code == 204
    assert db.session.scalar(select(func.count()).select_from(Device)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    # The same uid signing in again is a new, empty account.
    again = client.get("/v1/me", headers=auth("eve")).get_json()
    assert again["display_name"] == ""
    assert client.get("/v1/devices", headers=auth("eve")).get_json() == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        # iOS: Spanish from Spain read with Mexico's region settings (17 characters).
        ("es_ES-u-rg-mxzzzz", "es-ES-u-rg-mxzzzz"),
        ("ES-es-U-RG-MXZZZZ", "es-ES-u-rg-mxzzzz"),  # after a singleton, all lower case
        ("de-DE-u-ca-gregory-x-private", "de-DE-u-ca-gregory-x-private"),
        ("zh-Hant-TW-u-nu-hanidec-x-abc", "zh-Hant-TW-u-nu-hanidec-x-abc"),  # 29
    ],
)
def test_a_tag_of_up_to_35_characters_is_stored_in_canonical_case(client, sent, stored):
    """RFC 5646 asks a tag store to take at least 35 characters; the column was 16."""
    response = client.patch("/v1/me", json={"locale": sent}, headers=auth("kim"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["locale"] == stored
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.uid == "kim")) == stored


def test_a_tag_longer_than_35_characters_is_422(client):
    before = client.get("/v1/me", headers=auth("kim")).get_json()
    tag = "en-US-u-ca-gregory-nu-latn-x-abcdefg"  # 36
    response = client.patch("/v1/me", json={"locale": tag}, headers=auth("kim"))
    assert response.status_code == 422
    assert "locale" in response.get_json()["errors"]
    assert client.get("/v1/me", headers=auth("kim")).get_json() == before
