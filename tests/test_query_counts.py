"""A list endpoint whose number of SQL statements grows with its rows is an N+1: a bug.

Each list endpoint is read with a few rows (SMALL) and with many (LARGE), counting every
statement the request sends to the database (SQLAlchemy's before_cursor_execute on the app's
engine). The two counts must be equal: the cost of a page does not depend on its length.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import factory
import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from api.affirmations.models import Affirmation
from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.memories.models import PHOTO_PENDING, PHOTO_READY, Memory, MemoryPhoto
from api.notifications.service import notify
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion, Question, QuestionAnswer
from api.rituals.models import Ritual, RitualTemplate
from api.streaks.models import CheckIn
from api.users.models import User
from tests.conftest import auth
from tests.factories import (
    CoupleFactory,
    DeviceFactory,
    RitualFactory,
    UserFactory,
    _Base,
    couple_id_of,
)

CONTENT = Path(__file__).resolve().parents[1] / "content"
# A Wednesday, 13:00 in Berlin.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SMALL, LARGE = 2, 20


class CheckInFactory(_Base):
    """A past check-in (the API only takes today's and yesterday's)."""

    class Meta:
        model = CheckIn

    local_date = factory.Sequence(lambda n: date(2026, 3, 3) - timedelta(days=n))
    client_id = factory.Faker("uuid4")
    created_at = NOW


class TemplateFactory(_Base):
    class Meta:
        model = RitualTemplate

    key = factory.Sequence(lambda n: f"template-{n}")
    title = "Morning coffee"
    schedule_days = ["mon", "tue", "wed", "thu", "fri"]
    schedule_time = time(7, 30)


@dataclass
class Scene:
    client: FlaskClient
    couple: Couple
    alex: User
    sam: User
    ritual: Ritual  # for the check-in history


@pytest.fixture
def scene(client: FlaskClient, clock: Any) -> Scene:
    """Alex and Sam (Spanish locale: the library's en fallback is in play), paired, one ritual."""
    clock.set(NOW)
    import_content(db.session, load(CONTENT))  # the needs vocabulary too (content/needs)
    alex = UserFactory(uid="alex", locale="es")
    sam = UserFactory(uid="sam", locale="es")
    couple = CoupleFactory(a=alex, b=sam)
    ritual = RitualFactory(couple=couple, title="Evening walk")
    return Scene(client, couple, alex, sam, ritual)


@contextmanager
def counting() -> Iterator[list[str]]:
    """Collect every SQL statement sent to the app's engine within the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _post(scene: Scene, uid: str, path: str, body: dict[str, Any]) -> None:
    body.setdefault("client_id", str(uuid.uuid4()))
    response = scene.client.post(path, json=body, headers=auth(uid))
    assert response.status_code in (200, 201), response.get_json()


# Each adder puts `n` more rows into its list (`start`: how many it added before).
def add_notifications(scene: Scene, start: int, n: int) -> None:
    for i in range(start, start + n):
        notify(
            db.session,
            recipient_id=scene.alex.id,
            couple_id=couple_id_of(scene.alex),
            category="partner_nudge",
            title="Evening walk",
            body="Sam is waiting for your evening walk",
            data={"ritual_id": str(scene.ritual.id)},
            dedupe_key=f"query-count:{i}",
        )
    db.session.commit()


def add_rituals(scene: Scene, start: int, n: int) -> None:
    for i in range(n):
        # Every other one paused: both shapes of a ritual are in the list.
        RitualFactory(couple=scene.couple, paused=bool(i % 2))


def add_streaks(scene: Scene, start: int, n: int) -> None:
    for i in range(n):
        ritual = RitualFactory(couple=scene.couple, completion="both" if i % 2 else "either")
        # A check-in makes its streak record; some rituals have none (never checked in).
        if i % 3:
            _post(scene, "alex", f"/v1/couple/rituals/{ritual.id}/check-ins", {})
        if i % 4 == 0:  # a pause span to read too
            response = scene.client.patch(
                f"/v1/couple/rituals/{ritual.id}", json={"paused": True}, headers=auth("alex")
            )
            assert response.status_code == 200, response.get_json()


def add_check_ins(scene: Scene, start: int, n: int) -> None:
    for _ in range(n):
        CheckInFactory(
            ritual_id=scene.ritual.id, couple_id=scene.ritual.couple_id, user_id=scene.alex.id
        )


def add_messages(scene: Scene, start: int, n: int) -> None:
    for i in range(start, start + n):
        # Library affirmations and own words alike (the library item is nested in the answer).
        body = {"affirmation_id": _library_ids()[i]} if i % 2 else {"text": f"Thank you #{i}"}
        _post(scene, "alex", "/v1/couple/affirmations", body)


def add_gratitude(scene: Scene, start: int, n: int) -> None:
    for i in range(start, start + n):
        _post(scene, ("alex", "sam")[i % 2], "/v1/couple/gratitude", {"text": f"You #{i}"})


def add_moods(scene: Scene, start: int, n: int) -> None:
    for i in range(start, start + n):
        # Needs on most entries: they are loaded for the page in one more statement, not per row.
        needs = [["heard"], [], ["space", "touched"]][i % 3]
        _post(scene, ("alex", "sam")[i % 2], "/v1/couple/moods", {"mood": 3, "needs": needs})


def add_question_days(scene: Scene, start: int, n: int) -> None:
    """Past days of the daily question: revealed ones (both answers) and half-answered ones."""
    slugs = list(
        db.session.scalars(
            select(Question.slug).where(Question.locale == "en").order_by(Question.id).limit(100)
        )
    )
    for i in range(start, start + n):
        question = CoupleQuestion(
            couple_id=scene.couple.id,
            local_date=date(2026, 3, 3) - timedelta(days=i),
            slug=slugs[i],
            depth="light",
            cycle=1,
            revealed_at=NOW if i % 2 else None,
        )
        db.session.add(question)
        db.session.flush()
        for user in (scene.alex, scene.sam) if i % 2 else (scene.sam,):
            db.session.add(
                QuestionAnswer(
                    couple_question_id=question.id,
                    couple_id=question.couple_id,
                    user_id=user.id,
                    text=f"Answer {i}",
                    client_id=str(uuid.uuid4()),
                )
            )
    db.session.commit()


def add_devices(scene: Scene, start: int, n: int) -> None:
    for _ in range(n):
        DeviceFactory(user=scene.alex)


def add_templates(scene: Scene, start: int, n: int) -> None:
    for _ in range(n):
        TemplateFactory()


def add_memories(scene: Scene, start: int, n: int) -> None:
    """Memories with photos: ready ones (listed, each with a URL) and a pending one (not)."""
    for i in range(start, start + n):
        memory = Memory(
            couple_id=scene.couple.id,
            author_id=scene.alex.id,
            title=f"Day {i}",
            happened_on=date(2020, 1, 1) + timedelta(days=i),
            happened_md=0,
            client_id=str(uuid.uuid4()),
        )
        db.session.add(memory)
        db.session.flush()
        for j, status in enumerate((PHOTO_READY, PHOTO_READY, PHOTO_PENDING)):
            db.session.add(
                MemoryPhoto(
                    memory_id=memory.id,
                    key=f"memories/{scene.couple.id}/{memory.id}/p{j}",
                    content_type="image/jpeg",
                    size_bytes=1000,
                    status=status,
                )
            )
    db.session.commit()


def add_nothing(scene: Scene, start: int, n: int) -> None:
    """The library is shipped content: its page length is the `limit`."""


def _library_ids() -> list[int]:
    return list(db.session.scalars(select(Affirmation.id).order_by(Affirmation.id)))


@dataclass(frozen=True)
class ListEndpoint:
    name: str
    uid: str
    path: str
    add: Callable[[Scene, int, int], None]
    # The library's rows are content: its page grows with ?limit= instead.
    by_limit: bool = False


ENDPOINTS = [
    ListEndpoint("notifications feed", "alex", "/v1/notifications", add_notifications),
    ListEndpoint("rituals", "alex", "/v1/couple/rituals", add_rituals),
    ListEndpoint("streaks", "alex", "/v1/couple/streaks", add_streaks),
    ListEndpoint(
        "check-in history", "alex", "/v1/couple/rituals/{ritual}/check-ins", add_check_ins
    ),
    ListEndpoint("affirmations inbox", "sam", "/v1/couple/affirmations?box=received", add_messages),
    ListEndpoint("affirmations sent", "alex", "/v1/couple/affirmations?box=sent", add_messages),
    ListEndpoint("gratitude", "alex", "/v1/couple/gratitude", add_gratitude),
    ListEndpoint("memories", "sam", "/v1/couple/memories?limit=100", add_memories),
    ListEndpoint("affirmation library", "alex", "/v1/affirmations", add_nothing, by_limit=True),
    ListEndpoint("mood history", "alex", "/v1/couple/moods", add_moods),
    ListEndpoint("devices", "alex", "/v1/devices", add_devices),
    ListEndpoint("question history", "alex", "/v1/couple/questions", add_question_days),
    ListEndpoint("ritual templates", "alex", "/v1/ritual-templates", add_templates),
]


def _read(scene: Scene, endpoint: ListEndpoint, n: int) -> tuple[int, list[str]]:
    """(number of items answered, statements sent) for one GET of the list."""
    path = endpoint.path.format(ritual=scene.ritual.id)
    if endpoint.by_limit:
        path += f"?limit={n}"
    db.session.expire_all()  # nothing the request needs may come from the test's identity map
    with counting() as statements:
        response = scene.client.get(path, headers=auth(endpoint.uid))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    items = body["items"] if isinstance(body, dict) else body
    return len(items), statements


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_list_costs_the_same_number_of_queries_for_2_and_20_rows(
    scene: Scene, endpoint: ListEndpoint
) -> None:
    endpoint.add(scene, 0, SMALL)
    small_items, small = _read(scene, endpoint, SMALL)
    endpoint.add(scene, SMALL, LARGE - SMALL)
    large_items, large = _read(scene, endpoint, LARGE)

    # The lists really hold SMALL and LARGE rows (streaks and rituals also show the fixture's).
    extra = small_items - SMALL
    assert (small_items, large_items) == (SMALL + extra, LARGE + extra), (
        small_items,
        large_items,
    )
    print(
        f"{endpoint.name}: {len(small)} statements for {small_items} rows, "
        f"{len(large)} for {large_items}"
    )
    assert len(large) == len(small), (
        f"{endpoint.name}: {len(small)} statements for {small_items} rows but {len(large)} for "
        f"{large_items}:\n" + "\n".join(large)
    )


def test_the_counter_sees_an_n_plus_1(scene: Scene) -> None:
    """The counter is not blind: a lazy load per row shows up as one statement per row."""
    RitualFactory.create_batch(3, couple=scene.couple)
    db.session.expire_all()
    with counting() as statements:
        rituals = db.session.scalars(select(Ritual)).all()
        for ritual in rituals:
            db.session.expire(ritual)
            _ = ritual.title
    assert len(statements) == 1 + len(rituals)
