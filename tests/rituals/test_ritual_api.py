"""/v1/ritual-templates and /v1/couple/rituals through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.extensions import db
from tests.authz import assert_other_couple_gets_404
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory
from tests.rituals.conftest import RitualTemplateFactory

# A Monday; Berlin is on CET (+01:00).
MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CID = "6f1c1b1e-3a47-4d7e-9a55-0b7c2f6f1a01"


@pytest.fixture
def kiss():
    return RitualTemplateFactory(
        key="six-second-kiss",
        title="Six-second kiss",
        description="Kiss for six seconds when you meet again.",
        reminder_minutes_before=5,
    )


@pytest.fixture
def coffee():
    from datetime import time

    return RitualTemplateFactory(
        key="morning-coffee",
        title="Morning coffee",
        schedule_days=["mon", "tue", "wed", "thu", "fri"],
        schedule_time=time(7, 30),
        completion="both",
    )


def test_templates_lists_live_ones_in_content_order(client, pair, kiss, coffee, clock):
    clock.set(MONDAY_NOON)
    RitualTemplateFactory(key="retired-one", retired_at=MONDAY_NOON)
    response = client.get("/v1/ritual-templates", headers=pair.alex)
    assert response.status_code == 200
    assert response.get_json() == [
        {
            "key": "six-second-kiss",
            "title": "Six-second kiss",
            "description": "Kiss for six seconds when you meet again.",
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "18:30",
            },
            "completion": "either",
            "reminder": {"enabled": True, "minutes_before": 5},
        },
        {
            "key": "morning-coffee",
            "title": "Morning coffee",
            "description": "A kiss that lasts at least six seconds.",
            "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "time": "07:30"},
            "completion": "both",
            "reminder": {"enabled": True, "minutes_before": 0},
        },
    ]


def test_templates_need_a_token(client):
    assert client.get("/v1/ritual-templates").status_code == 401


def test_create_from_a_template_takes_its_defaults_and_the_couples_zone(client, pair, kiss, clock):
    clock.set(MONDAY_NOON)
    response = client.post(
        "/v1/couple/rituals",
        json={"template_key": "six-second-kiss", "client_id": CID},
        headers=pair.alex,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "template_key": "six-second-kiss",
        "title": "Six-second kiss",
        "description": "Kiss for six seconds when you meet again.",
        "schedule": {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "time": "18:30",
            "timezone": "Europe/Berlin",
            "follows_couple": True,
        },
        "reminder": {"enabled": True, "minutes_before": 5},
        "completion": "either",
        "paused": False,
        "client_id": CID,
        "created_by_id": pair.alex_id,
        "created_at": "2026-03-02T12:00:00Z",
        # 18:30 CET today.
        "next_occurrence_at": "2026-03-02T17:30:00Z",
        "next_reminder_at": "2026-03-02T17:25:00Z",
    }
    # The partner sees the same ritual.
    assert client.get(f"/v1/couple/rituals/{body['id']}", headers=pair.sam).get_json() == body


def test_body_fields_override_the_template_field_by_field(client, pair, coffee, clock):
    clock.set(MONDAY_NOON)
    response = client.post(
        "/v1/couple/rituals",
        json={
            "template_key": "morning-coffee",
            "title": "Tea and talk",
            "schedule": {"time": "06:45", "timezone": "America/New_York"},
            "reminder": {"minutes_before": 15},
            "client_id": CID,
        },
        headers=pair.alex,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Tea and talk"
    assert body["description"] == coffee.description
    assert body["schedule"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "time": "06:45",
        "timezone": "America/New_York",
        "follows_couple": False,
    }
    assert body["reminder"] == {"enabled": True, "minutes_before": 15}
    assert body["completion"] == "both"
    # Monday 06:45 EST has passed in New York (07:00 there); next is Tuesday 06:45 EST.
    assert body["next_occurrence_at"] == "2026-03-03T11:45:00Z"
    assert body["next_reminder_at"] == "2026-03-03T11:30:00Z"


def test_create_without_template(client, pair, clock):
    clock.set(MONDAY_NOON)
    response = client.post(
        "/v1/couple/rituals",
        json={
            "title": "Weekly check-in",
            "schedule": {"days": ["sun", "wed"], "time": "19:00"},
            "reminder": {"enabled": False, "minutes_before": 0},
            "completion": "both",
            "client_id": CID,
        },
        headers=pair.sam,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["template_key"] is None
    assert body["description"] == ""
    assert body["schedule"]["days"] == ["wed", "sun"]  # canonical order
    assert body["next_occurrence_at"] == "2026-03-04T18:00:00Z"
    assert body["next_reminder_at"] is None  # reminders off


def test_replay_of_client_id_answers_200_with_the_original(client, pair, kiss, clock):
    clock.set(MONDAY_NOON)
    first = client.post(
        "/v1/couple/rituals",
        json={"template_key": "six-second-kiss", "client_id": CID},
        headers=pair.alex,
    )
    clock.advance(minutes=1)
    replay = client.post(
        "/v1/couple/rituals",
        json={"template_key": "six-second-kiss", "title": "Changed", "client_id": CID.upper()},
        headers=pair.alex,
    )
    # The partner's phone cannot create a second ritual with the same id either, nor be told
    # that its own write (its title) was made: the client_id is Alex's (api/idempotency.py).
    taken = client.post(
        "/v1/couple/rituals",
        json={"template_key": "six-second-kiss", "title": "Changed", "client_id": CID},
        headers=pair.sam,
    )
    assert taken.status_code == 409
    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert replay.get_json()["title"] == "Six-second kiss"
    assert len(client.get("/v1/couple/rituals", headers=pair.alex).get_json()) == 1


def test_a_replay_after_the_ritual_was_deleted_is_404(client, pair, kiss, clock):
    """A late retry must not bring back, as a 200, a ritual that GET says is gone."""
    clock.set(MONDAY_NOON)
    body = {"template_key": "six-second-kiss", "client_id": CID}
    first = client.post("/v1/couple/rituals", json=body, headers=pair.alex).get_json()
    path = f"/v1/couple/rituals/{first['id']}"
    assert client.delete(path, headers=pair.sam).status_code == 204
    replay = client.post("/v1/couple/rituals", json=body, headers=pair.alex)
    assert replay.status_code == 404
    assert client.get(path, headers=pair.alex).status_code == 404
    assert client.get("/v1/couple/rituals", headers=pair.alex).get_json() == []


def test_same_client_id_in_another_couple_is_another_ritual(client, pair, kiss, clock):
    clock.set(MONDAY_NOON)
    CoupleFactory(a__uid="jo", b__uid="lee")
    body = {"template_key": "six-second-kiss", "client_id": CID}
    ours = client.post("/v1/couple/rituals", json=body, headers=pair.alex)
    theirs = client.post("/v1/couple/rituals", json=body, headers=auth("jo"))
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.get_json()["id"] != theirs.get_json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"schedule": {"days": ["mon"], "time": "07:00"}}, "title"),
        ({"title": "T", "schedule": {"time": "07:00"}}, "schedule.days"),
        ({"title": "T", "schedule": {"days": ["mon"]}}, "schedule.time"),
        ({"title": "T"}, "schedule.days"),
        ({"template_key": "nope"}, "template_key"),
    ],
)
def test_missing_fields_without_template_are_422(client, pair, body, field):
    response = client.post("/v1/couple/rituals", json={**body, "client_id": CID}, headers=pair.alex)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]


VALID = {"title": "T", "schedule": {"days": ["mon"], "time": "07:00"}}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"schedule": {"days": ["mon", "mon"], "time": "07:00"}}, "schedule"),
        ({"schedule": {"days": ["monday"], "time": "07:00"}}, "schedule"),
        ({"schedule": {"days": [], "time": "07:00"}}, "schedule"),
        ({"schedule": {"days": ["mon"], "time": "7:00"}}, "schedule"),
        ({"schedule": {"days": ["mon"], "time": "24:00"}}, "schedule"),
        ({"schedule": {"days": ["mon"], "time": "07:00", "timezone": "Mars/Base"}}, "schedule"),
        ({"schedule": {"days": ["mon"], "time": "07:00", "timezone": "localtime"}}, "schedule"),
        ({"schedule": {"days": ["mon"], "time": "07:00", "timezone": "Factory"}}, "schedule"),
        ({"schedule": {"days": ["mon"], "time": "07:00", "every": 2}}, "schedule"),
        ({"reminder": {"minutes_before": -1}}, "reminder"),
        ({"reminder": {"minutes_before": 1441}}, "reminder"),
        ({"completion": "all"}, "completion"),
        ({"title": ""}, "title"),
        # Read-only and unknown fields: no mass assignment.
        ({"id": 7}, "id"),
        ({"couple_id": 7}, "couple_id"),
        ({"next_occurrence_at": "2026-03-02T17:30:00Z"}, "next_occurrence_at"),
        ({"next_fire_at": "2026-03-02T17:30:00Z"}, "next_fire_at"),
        ({"created_by_id": 1}, "created_by_id"),
        ({"deleted_at": None}, "deleted_at"),
    ],
)
def test_invalid_create_bodies_are_422(client, pair, patch, field):
    body = {**VALID, "client_id": CID, **patch}
    response = client.post("/v1/couple/rituals", json=body, headers=pair.alex)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert client.get("/v1/couple/rituals", headers=pair.alex).get_json() == []


def test_client_id_is_required(client, pair):
    response = client.post("/v1/couple/rituals", json=VALID, headers=pair.alex)
    assert response.status_code == 422
    assert "client_id" in response.get_json()["errors"]


def test_not_paired_is_404(client):
    UserFactory(uid="solo")
    for method, path in [
        ("get", "/v1/couple/rituals"),
        ("post", "/v1/couple/rituals"),
        ("get", "/v1/couple/rituals/1"),
    ]:
        kwargs = {"json": {**VALID, "client_id": CID}} if method == "post" else {}
        response = getattr(client, method)(path, headers=auth("solo"), **kwargs)
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "body", "owner_status"),
    [
        ("GET", None, 200),
        ("PATCH", {"title": "Mine now", "paused": True}, 200),
        ("DELETE", None, 204),
    ],
)
def test_another_couples_ritual_is_404(
    client, pair, create_ritual, clock, method, body, owner_status
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**VALID)
    CoupleFactory(a__uid="jo", b__uid="lee")
    UserFactory(uid="single")
    path = f"/v1/couple/rituals/{ritual['id']}"
    assert_other_couple_gets_404(
        client,
        method,
        path,
        json=body,
        owner_headers=pair.alex,
        stranger_headers=[auth("jo"), auth("single")],
        snapshot=lambda: client.get(path, headers=pair.sam).get_json(),
        missing_path="/v1/couple/rituals/999999999",
        owner_status=owner_status,
    )


def test_another_couples_rituals_are_not_listed(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    create_ritual(**VALID)
    CoupleFactory(a__uid="jo", b__uid="lee")
    assert client.get("/v1/couple/rituals", headers=auth("jo")).get_json() == []


def test_patch_changes_the_schedule_and_the_next_occurrence(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**VALID, reminder={"enabled": True, "minutes_before": 10})
    assert ritual["next_occurrence_at"] == "2026-03-09T06:00:00Z"
    path = f"/v1/couple/rituals/{ritual['id']}"
    response = client.patch(
        path, json={"schedule": {"days": ["tue"], "time": "21:15"}}, headers=pair.sam
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["schedule"] == {
        "days": ["tue"],
        "time": "21:15",
        "timezone": "Europe/Berlin",
        "follows_couple": True,
    }
    assert body["next_occurrence_at"] == "2026-03-03T20:15:00Z"
    assert body["next_reminder_at"] == "2026-03-03T20:05:00Z"
    body = client.patch(
        path, json={"schedule": {"timezone": "Asia/Kolkata"}}, headers=pair.sam
    ).get_json()
    assert body["schedule"]["time"] == "21:15"
    assert body["next_occurrence_at"] == "2026-03-03T15:45:00Z"
    body = client.patch(
        path,
        json={"title": "New", "description": "d", "completion": "both", "reminder": {}},
        headers=pair.alex,
    ).get_json()
    assert (body["title"], body["description"], body["completion"]) == ("New", "d", "both")
    assert client.get(path, headers=pair.alex).get_json() == body


@pytest.mark.parametrize(
    "patch",
    [
        {"client_id": CID},
        {"template_key": "six-second-kiss"},
        {"id": 1},
        {"next_occurrence_at": "2026-03-03T15:45:00Z"},
        {"next_reminder_at": "2026-03-03T15:45:00Z"},
        {"created_at": "2026-03-03T15:45:00Z"},
        {"couple_id": 2},
        {"schedule": {"days": ["xyz"]}},
        {"reminder": {"minutes_before": "soon"}},
        {"paused": "maybe"},
    ],
)
def test_patch_rejects_read_only_unknown_and_invalid_fields(
    client, pair, create_ritual, clock, patch
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**VALID)
    path = f"/v1/couple/rituals/{ritual['id']}"
    response = client.patch(path, json=patch, headers=pair.alex)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(patch)
    assert client.get(path, headers=pair.alex).get_json() == ritual


def test_pause_clears_next_occurrence_and_resume_restores_it(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**VALID)
    path = f"/v1/couple/rituals/{ritual['id']}"
    paused = client.patch(path, json={"paused": True}, headers=pair.alex).get_json()
    assert paused["paused"] is True
    assert paused["next_occurrence_at"] is None
    assert paused["next_reminder_at"] is None
    clock.advance(days=7)  # the next Monday 12:00Z, so Monday 07:00 is past
    resumed = client.patch(path, json={"paused": False}, headers=pair.alex).get_json()
    assert resumed["next_occurrence_at"] == "2026-03-16T06:00:00Z"
    assert resumed["next_reminder_at"] == "2026-03-16T06:00:00Z"


def test_create_paused(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**VALID, paused=True)
    assert ritual["paused"] is True
    assert ritual["next_occurrence_at"] is None


def test_delete_is_204_and_the_ritual_is_gone(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    keep = create_ritual(**VALID)
    gone = create_ritual(**VALID)
    path = f"/v1/couple/rituals/{gone['id']}"
    response = client.delete(path, headers=pair.sam)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(path, headers=pair.alex).status_code == 404
    assert client.patch(path, json={"paused": True}, headers=pair.alex).status_code == 404
    assert client.delete(path, headers=pair.alex).status_code == 404
    assert [r["id"] for r in client.get("/v1/couple/rituals", headers=pair.alex).get_json()] == [
        keep["id"]
    ]


def test_list_is_oldest_first_with_next_occurrence(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    a = create_ritual(title="A", schedule={"days": ["sat"], "time": "10:00"})
    b = create_ritual(title="B", schedule={"days": ["mon"], "time": "23:00"})
    listed = client.get("/v1/couple/rituals", headers=pair.sam).get_json()
    assert [r["id"] for r in listed] == [a["id"], b["id"]]
    assert [r["next_occurrence_at"] for r in listed] == [
        "2026-03-07T09:00:00Z",
        "2026-03-02T22:00:00Z",
    ]


def test_next_occurrence_follows_the_wall_clock_over_dst(client, pair, create_ritual, clock):
    # Saturday before Berlin springs forward: 02:30 does not exist on Sunday -> 03:00 CEST.
    clock.set(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    gap = create_ritual(title="Gap", schedule={"days": ["sun"], "time": "02:30"})
    assert gap["next_occurrence_at"] == "2026-03-29T01:00:00Z"
    coffee = create_ritual(title="Coffee", schedule={"days": ["sun", "mon"], "time": "07:30"})
    assert coffee["next_occurrence_at"] == "2026-03-29T05:30:00Z"
    clock.set(datetime(2026, 3, 29, 6, 0, tzinfo=UTC))
    listed = client.get("/v1/couple/rituals", headers=pair.sam).get_json()
    assert listed[1]["next_occurrence_at"] == "2026-03-30T05:30:00Z"


def test_a_couple_keeps_a_bounded_number_of_rituals(client, pair, create_ritual, clock, app):
    from api.rituals.service import MAX_RITUALS_PER_COUPLE, RITUALS_CREATED_PER_DAY

    clock.set(MONDAY_NOON)
    for n in range(MAX_RITUALS_PER_COUPLE):
        if n and n % RITUALS_CREATED_PER_DAY == 0:
            clock.advance(days=1)  # the daily creation quota is another limit (tests/quotas)
        create_ritual(**VALID)
    response = client.post(
        "/v1/couple/rituals", json={**VALID, "client_id": CID}, headers=pair.alex
    )
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"


def test_unpaired_couple_loses_its_rituals_at_once(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**VALID)
    assert client.delete("/v1/couple", headers=pair.alex).status_code == 204
    assert client.get("/v1/couple/rituals", headers=pair.sam).status_code == 404
    path = f"/v1/couple/rituals/{ritual['id']}"
    assert client.get(path, headers=pair.alex).status_code == 404


def test_every_shipped_template_makes_a_ritual(client, pair, clock):
    """content/ritual_templates.yaml, imported as the admin does, backs the endpoint."""
    from pathlib import Path

    from api.content.loader import load_files
    from api.content.service import import_content

    clock.set(MONDAY_NOON)
    root = Path(__file__).resolve().parents[2]
    import_content(db.session, load_files([root / "content" / "ritual_templates.yaml"]))
    db.session.commit()
    templates = client.get("/v1/ritual-templates", headers=pair.alex).get_json()
    keys = [t["key"] for t in templates]
    assert {
        "six-second-kiss",
        "morning-coffee",
        "weekly-check-in",
        "device-free-hour",
        "gratitude-exchange",
        "remember-when",
    } <= set(keys)
    for n, template in enumerate(templates):
        response = client.post(
            "/v1/couple/rituals",
            json={"template_key": template["key"], "client_id": f"{CID[:-2]}{n:02d}"},
            headers=pair.sam,
        )
        assert response.status_code == 201
        ritual = response.get_json()
        assert ritual["schedule"]["days"] == template["schedule"]["days"]
        assert ritual["schedule"]["time"] == template["schedule"]["time"]
        assert ritual["reminder"] == template["reminder"]
        assert ritual["completion"] == template["completion"]
        assert ritual["next_occurrence_at"] is not None
