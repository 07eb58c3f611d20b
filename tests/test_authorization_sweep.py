"""A user only ever reaches their own couple's data: every id-addressed endpoint, every method.

ROUTES is the table of every /v1 route that takes an id in its path, with each of its methods.
For each row, a user of another couple and an unpaired user (and, for a user's own devices,
the partner too) must get the 404 problem a missing id gets, and the database must not change
by a single row. The owner's same request then succeeds, so the 404s were about ownership.

`test_every_v1_route_with_a_path_id_is_in_the_table` walks the url_map: a new endpoint with
an id in its path fails the suite until it is added here. The list endpoints, which take no
id, are checked separately: they never show another couple's rows.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api import clock as api_clock
from api.affirmations.models import AffirmationMessage, GratitudeEntry
from api.devices.models import Device
from api.extensions import db
from api.ids import MAX_ID, RowIdConverter
from api.memories.models import Memory, MemoryPhoto
from api.moods.models import MoodEntry
from api.notifications.models import Notification
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion, Question
from api.recaps.routes import IsoWeekConverter
from api.rituals.models import Ritual
from api.streaks.models import CheckIn
from api.users.models import User
from tests.authz import assert_other_couple_gets_404
from tests.conftest import auth
from tests.factories import CoupleFactory, DeviceFactory, RitualFactory, UserFactory

# A Wednesday, 13:00 in Berlin: a scheduled day of an every-day ritual, well inside the day.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
MISSING_ID = 999_999_999
# The smallest valid PNG header and IHDR: what the photo check sniffs.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077")


@dataclass
class World:
    """Two couples with one of everything each, an unpaired user, and the ids of couple A's."""

    ids: dict[str, int]


def _post(client: FlaskClient, uid: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers=auth(uid))
    assert response.status_code in (201, 202), (path, response.get_json())
    return response.get_json()


def _furnish(client: FlaskClient, couple: Couple) -> dict[str, int]:
    """One of each couple-owned object for a couple; its user a is the author of each."""
    first, second = (db.session.get(User, i).uid for i in couple.partner_ids)
    # "both": the second partner's check-in leaves the day waiting for the first (a nudge's 202).
    ritual = RitualFactory(couple=couple, created_by_id=couple.user_a_id, completion="both")
    # The second partner checks in today; the first one's check-in is left to the owner tests.
    checkin = _post(
        client,
        second,
        f"/v1/couple/rituals/{ritual.id}/check-ins",
        {"client_id": str(uuid.uuid4())},
    )
    message = _post(
        client,
        first,
        "/v1/couple/affirmations",
        {"text": f"{first} thinks you are wonderful", "client_id": str(uuid.uuid4())},
    )
    entry = _post(
        client,
        first,
        "/v1/couple/gratitude",
        {"text": f"{first} is grateful for coffee", "client_id": str(uuid.uuid4())},
    )
    # The questions first: they step the clock back to yesterday, and a day the couple has
    # lived already (today's mood) lasts, so yesterday would read today's question.
    question, revealed = _furnish_questions(client, first, second)
    mood = _post(client, first, "/v1/couple/moods", {"mood": 4, "client_id": str(uuid.uuid4())})
    device = DeviceFactory(user=db.session.get(User, couple.user_a_id))
    memory = _post(
        client,
        first,
        "/v1/couple/memories",
        {"title": f"{first}'s day", "happened_on": "2025-01-01", "client_id": str(uuid.uuid4())},
    )
    photo = _post(
        client,
        first,
        f"/v1/couple/memories/{memory['id']}/photos",
        {"content_type": "image/png", "size_bytes": len(PNG)},
    )
    # Uploaded (through the app's local-folder URL) but not confirmed: the owner confirms it.
    uploaded = client.put(photo["upload_url"], data=PNG, headers=photo["upload_headers"])
    assert uploaded.status_code == 200
    return {
        "mood": mood["id"],
        "couple": couple.id,
        "ritual": ritual.id,
        "checkin": checkin["id"],
        "message": message["id"],
        "gratitude": entry["id"],
        "device": device.id,
        "memory": memory["id"],
        "photo": photo["id"],
        "question": question,
        "revealed_question": revealed,
    }


def _furnish_questions(client: FlaskClient, first: str, second: str) -> tuple[int, int]:
    """Today's question (answered by the second partner) and yesterday's (both answered)."""
    if db.session.scalar(select(Question.id).limit(1)) is None:
        for depth in ("light", "deeper", "deep"):
            db.session.add(
                Question(slug=f"q-{depth}", locale="en", depth=depth, category="us", text="Why?")
            )
        db.session.commit()
    ids = []
    for day_offset, answering in ((1, (first, second)), (0, (second,))):
        api_clock.set_fixed(NOW - timedelta(days=day_offset))
        question = client.get("/v1/couple/questions/today", headers=auth(first)).get_json()
        for uid in answering:
            response = client.put(
                f"/v1/couple/questions/{question['id']}/answer",
                json={"text": f"{uid} answers", "client_id": str(uuid.uuid4())},
                headers=auth(uid),
            )
            assert response.status_code == 201, response.get_json()
        ids.append(question["id"])
    api_clock.set_fixed(NOW)
    revealed, today = ids
    return today, revealed


@pytest.fixture
def world(client: FlaskClient, clock: Any) -> World:
    """Couple A (alex, sam) and couple B (bo, cy), furnished alike; `single` is unpaired."""
    clock.set(NOW)
    ids = _furnish(client, CoupleFactory(a=UserFactory(uid="alex"), b=UserFactory(uid="sam")))
    _furnish(client, CoupleFactory(a=UserFactory(uid="bo"), b=UserFactory(uid="cy")))
    UserFactory(uid="single")
    return World(ids)


def snapshot_database() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as plain values (read on a connection of its own)."""
    with db.engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


@dataclass(frozen=True)
class Route:
    """One method of one id-addressed route, and how its owner uses it."""

    method: str
    rule: str
    object: str  # the key in World.ids of the object the id addresses
    owner: str
    owner_status: int
    json: Any = None
    # Beyond another couple's user and an unpaired one: who else must not reach it.
    also_strangers: tuple[str, ...] = ()
    # For a nested path (/memories/<memory_id>/photos/<photo_id>): the object of its first id.
    parent: str | None = None

    def path(self, object_id: int, ids: dict[str, int] | None = None) -> str:
        if self.parent is not None and ids is not None:
            first, rest = self.rule.split(">", 1)
            return re.sub(r"<[^>]+>", str(ids[self.parent]), first + ">") + re.sub(
                r"<[^>]+>", str(object_id), rest
            )
        return re.sub(r"<[^>]+>", str(object_id), self.rule)


RITUAL = "/v1/couple/rituals/<int:ritual_id>"
MESSAGE = "/v1/couple/affirmations/<int:message_id>"
MEMORY = "/v1/couple/memories/<int:memory_id>"
PHOTO = f"{MEMORY}/photos/<int:photo_id>"
QUESTION = "/v1/couple/questions/<int:question_id>"

ROUTES = [
    Route("GET", RITUAL, "ritual", "alex", 200),
    Route("PATCH", RITUAL, "ritual", "alex", 200, json={"title": "Mine now", "paused": True}),
    Route("DELETE", RITUAL, "ritual", "alex", 204),
    Route("GET", f"{RITUAL}/check-ins", "ritual", "alex", 200),
    Route(
        "POST",
        f"{RITUAL}/check-ins",
        "ritual",
        "alex",
        201,
        json={"client_id": "00000000-0000-4000-8000-000000000001", "note": "done"},
    ),
    Route("GET", f"{RITUAL}/streak", "ritual", "alex", 200),
    # Sam nudges: Alex has not checked in today to a "both" ritual (else a 409).
    Route("POST", f"{RITUAL}/nudge", "ritual", "sam", 202),
    # Messages go alex -> sam: only sam, the recipient, may mark read or react.
    Route("POST", f"{MESSAGE}/read", "message", "sam", 204),
    Route("PUT", f"{MESSAGE}/reaction", "message", "sam", 200, json={"emoji": "❤️"}),
    Route("DELETE", "/v1/couple/gratitude/<int:entry_id>", "gratitude", "alex", 204),
    Route("GET", MEMORY, "memory", "alex", 200),
    Route("PATCH", MEMORY, "memory", "alex", 200, json={"title": "Ours now"}),
    Route("DELETE", MEMORY, "memory", "alex", 204),
    Route(
        "POST",
        f"{MEMORY}/photos",
        "memory",
        "alex",
        201,
        json={"content_type": "image/png", "size_bytes": 100},
    ),
    Route("POST", f"{PHOTO}/complete", "photo", "alex", 200, parent="memory"),
    Route("DELETE", PHOTO, "photo", "alex", 204, parent="memory"),
    Route("GET", QUESTION, "question", "alex", 200),
    Route(
        "PUT",
        f"{QUESTION}/answer",
        "question",
        "alex",
        201,
        json={"text": "Mine", "client_id": "00000000-0000-4000-8000-000000000002"},
    ),
    # Yesterday's question, answered by both: alex reacts to sam's answer.
    Route("PUT", f"{QUESTION}/reaction", "revealed_question", "alex", 200, json={"emoji": "🔥"}),
    # A device is the user's own, not the couple's: the partner is a stranger to it too.
    Route(
        "DELETE",
        "/v1/devices/<int:device_id>",
        "device",
        "alex",
        204,
        also_strangers=("sam",),
    ),
]

# `/v1/couple/recaps/<isoweek:week>` names a week of the caller's own couple (from the token),
# never another couple's object: nothing to sweep, but it must stay an ISO week label.
WEEK_ARGUMENTS = frozenset({"week"})

STRANGERS = ("bo", "single")  # bo: couple B; single: never paired


def _route_id(route: Route) -> str:
    return f"{route.method} {route.rule}"


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_strangers_get_the_404_of_a_missing_id_and_change_nothing(
    client: FlaskClient, world: World, route: Route
) -> None:
    object_id = world.ids[route.object]
    assert_other_couple_gets_404(
        client,
        route.method,
        route.path(object_id, world.ids),
        json=route.json,
        owner_headers=auth(route.owner),
        stranger_headers=[auth(uid) for uid in (*STRANGERS, *route.also_strangers)],
        snapshot=snapshot_database,
        missing_path=route.path(MISSING_ID, world.ids),
        owner_status=route.owner_status,
    )


@pytest.mark.parametrize("route", [r for r in ROUTES if r.object != "device"], ids=_route_id)
def test_former_partners_lose_the_couples_objects_at_once(
    client: FlaskClient, world: World, route: Route
) -> None:
    """After unpairing, the couple's objects are no one's: alex pairs anew, sam stays single."""
    assert client.delete("/v1/couple", headers=auth("sam")).status_code == 204
    alex = db.session.scalars(select(User).where(User.uid == "alex")).one()
    CoupleFactory(a=alex, b=UserFactory(uid="dee"))
    object_id = world.ids[route.object]
    assert_other_couple_gets_404(
        client,
        route.method,
        route.path(object_id, world.ids),
        json=route.json,
        owner_headers={},
        stranger_headers=[auth("alex"), auth("sam")],
        snapshot=snapshot_database,
        missing_path=route.path(MISSING_ID, world.ids),
    )


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
@pytest.mark.parametrize("number", [0, MAX_ID + 1, 2**63, 10**30])
def test_an_id_no_row_can_have_answers_404_not_500(
    client: FlaskClient, world: World, route: Route, number: int
) -> None:
    """Past its column (PostgreSQL: int4; SQLite: 2**63) the id was a 500, not a 404."""
    before = snapshot_database()
    response = client.open(
        route.path(number, world.ids),
        method=route.method,
        json=route.json,
        headers=auth(route.owner),
    )
    assert response.status_code == 404, (number, response.get_json())
    assert response.content_type == "application/problem+json"
    assert snapshot_database() == before


def test_every_v1_route_with_a_path_id_is_in_the_table(app: Flask) -> None:
    """A new endpoint that addresses an object by id cannot skip the sweep above."""
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1/") and rule.arguments - WEEK_ARGUMENTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    tabled = {(route.method, route.rule) for route in ROUTES}
    assert served - tabled == set(), "add these to ROUTES in tests/test_authorization_sweep.py"
    assert tabled - served == set(), "ROUTES names routes the app no longer serves"
    assert served, "the url_map walk found nothing: the test would pass vacuously"
    # And each id is a bounded row id (an unbounded one reaches the database: see above).
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/"):
            for name in rule.arguments - WEEK_ARGUMENTS:
                assert isinstance(rule._converters[name], RowIdConverter), (rule.rule, name)
            for name in rule.arguments & WEEK_ARGUMENTS:
                assert isinstance(rule._converters[name], IsoWeekConverter), (rule.rule, name)


def test_the_table_covers_each_kind_of_object(world: World) -> None:
    """Each row's object exists for the owner, so no row sweeps a missing id by mistake."""
    couple_a = world.ids["couple"]
    assert db.session.get(Ritual, world.ids["ritual"]).couple_id == couple_a
    assert db.session.get(CheckIn, world.ids["checkin"]).ritual_id == world.ids["ritual"]
    assert db.session.get(AffirmationMessage, world.ids["message"]).couple_id == couple_a
    assert db.session.get(GratitudeEntry, world.ids["gratitude"]).couple_id == couple_a
    assert db.session.get(Memory, world.ids["memory"]).couple_id == couple_a
    assert db.session.get(MemoryPhoto, world.ids["photo"]).memory_id == world.ids["memory"]
    for key in ("question", "revealed_question"):
        assert db.session.get(CoupleQuestion, world.ids[key]).couple_id == couple_a


# -- list endpoints ---------------------------------------------------------------------------


def _get(client: FlaskClient, uid: str, path: str) -> Any:
    response = client.get(path, headers=auth(uid))
    assert response.status_code == 200, (uid, path, response.get_json())
    return response.get_json()


def _items(body: Any) -> list[dict[str, Any]]:
    return body["items"] if isinstance(body, dict) else body


def _couple_of(uid: str) -> int:
    return db.session.scalars(select(User.couple_id).where(User.uid == uid)).one()


def _ritual_couples(ids: list[int]) -> set[int]:
    return set(db.session.scalars(select(Ritual.couple_id).where(Ritual.id.in_(ids))))


def _own_ritual(uid: str) -> int:
    return db.session.scalars(select(Ritual.id).where(Ritual.couple_id == _couple_of(uid))).one()


def _lists(client: FlaskClient, uid: str) -> dict[str, set[int]]:
    """The couple each row of uid's list endpoints belongs to, per endpoint."""
    rituals = _items(_get(client, uid, "/v1/couple/rituals"))
    streaks = _items(_get(client, uid, "/v1/couple/streaks"))
    received = _items(_get(client, uid, "/v1/couple/affirmations?box=received"))
    sent = _items(_get(client, uid, "/v1/couple/affirmations?box=sent"))
    gratitude = _items(_get(client, uid, "/v1/couple/gratitude"))
    checkins = _items(_get(client, uid, f"/v1/couple/rituals/{_own_ritual(uid)}/check-ins"))
    moods = _items(_get(client, uid, "/v1/couple/moods"))
    memories = _items(_get(client, uid, "/v1/couple/memories"))
    questions = _items(_get(client, uid, "/v1/couple/questions"))

    def message_couples(items: list[dict[str, Any]]) -> set[int]:
        ids = [m["id"] for m in items]
        return set(
            db.session.scalars(
                select(AffirmationMessage.couple_id).where(AffirmationMessage.id.in_(ids))
            )
        )

    return {
        "rituals": _ritual_couples([r["id"] for r in rituals]),
        "streaks": _ritual_couples([s["ritual_id"] for s in streaks]),
        "messages": message_couples(received) | message_couples(sent),
        "gratitude": set(
            db.session.scalars(
                select(GratitudeEntry.couple_id).where(
                    GratitudeEntry.id.in_([g["id"] for g in gratitude])
                )
            )
        ),
        "moods": set(
            db.session.scalars(
                select(MoodEntry.couple_id).where(MoodEntry.id.in_([m["id"] for m in moods]))
            )
        ),
        "memories": set(
            db.session.scalars(
                select(Memory.couple_id).where(Memory.id.in_([m["id"] for m in memories]))
            )
        ),
        "questions": set(
            db.session.scalars(
                select(CoupleQuestion.couple_id).where(
                    CoupleQuestion.id.in_([q["id"] for q in questions])
                )
            )
        ),
        "check-ins": _ritual_couples(
            list(
                db.session.scalars(
                    select(CheckIn.ritual_id).where(CheckIn.id.in_([c["id"] for c in checkins]))
                )
            )
        ),
    }


@pytest.mark.parametrize("uid", ["alex", "sam", "bo", "cy"])
def test_list_endpoints_show_only_the_callers_couple(
    client: FlaskClient, world: World, uid: str
) -> None:
    own = _couple_of(uid)
    seen = _lists(client, uid)
    # Each list shows something (else "nothing foreign" would prove nothing), all of it own.
    assert seen == {key: {own} for key in seen}, seen


def test_lists_of_a_repaired_user_show_only_the_new_couple(
    client: FlaskClient, world: World
) -> None:
    """Alex leaves sam and pairs with dee: nothing of the old couple shows in alex's lists."""
    assert client.delete("/v1/couple", headers=auth("alex")).status_code == 204
    alex = db.session.scalars(select(User).where(User.uid == "alex")).one()
    new = _furnish(client, CoupleFactory(a=alex, b=UserFactory(uid="dee")))
    for uid in ("alex", "dee"):
        seen = _lists(client, uid)
        assert seen == {key: {new["couple"]} for key in seen}, (uid, seen)


def test_user_lists_show_only_the_callers_rows(client: FlaskClient, world: World) -> None:
    """Devices and the notification feed are the user's own: not even the partner's show."""
    for uid in ("alex", "sam", "bo", "cy"):
        user_id = db.session.scalars(select(User.id).where(User.uid == uid)).one()
        feed = _items(_get(client, uid, "/v1/notifications"))
        devices = _items(_get(client, uid, "/v1/devices"))
        # Everyone was pushed something (a check-in or a message) by the partner.
        assert feed, uid
        owners = set(
            db.session.scalars(
                select(Notification.recipient_id).where(
                    Notification.id.in_([n["id"] for n in feed])
                )
            )
        ) | set(
            db.session.scalars(
                select(Device.user_id).where(Device.id.in_([d["id"] for d in devices]))
            )
        )
        assert owners == {user_id}, (uid, owners)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/couple/rituals",
        "/v1/couple/streaks",
        "/v1/couple/affirmations?box=received",
        "/v1/couple/affirmations?box=sent",
        "/v1/couple/gratitude",
        "/v1/couple/moods",
        "/v1/couple/moods/today",
        "/v1/couple/moods/summary",
        "/v1/couple/recaps",
        "/v1/couple/recaps/2026-W10",
        "/v1/couple/memories",
        "/v1/couple/questions",
        "/v1/couple/questions/today",
    ],
)
def test_an_unpaired_user_gets_404_from_couple_lists(
    client: FlaskClient, world: World, path: str
) -> None:
    response = client.get(path, headers=auth("single"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
