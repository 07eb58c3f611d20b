"""/v1/couple/affirmations: sending, the two boxes, read receipts and reactions."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, select

from api.affirmations.models import Affirmation, AffirmationMessage
from api.content.loader import load
from api.content.service import import_content
from api.extensions import db
from api.notifications.models import Notification
from api.pairing.service import unpair
from api.users.models import User
from tests.conftest import auth
from tests.factories import CoupleFactory, DeviceFactory, UserFactory

CONTENT = Path(__file__).resolve().parents[2] / "content"
URL = "/v1/couple/affirmations"


@pytest.fixture
def couple():
    """Sam and Alex, paired, with the shipped library imported."""
    import_content(db.session, load(CONTENT))
    sam = UserFactory(uid="sam", display_name="Sam")
    alex = UserFactory(uid="alex", display_name="Alex")
    return CoupleFactory(a=sam, b=alex)


@pytest.fixture
def other_couple():
    return CoupleFactory(a=UserFactory(uid="jo"), b=UserFactory(uid="kim"))


def library_item(slug: str) -> Affirmation:
    """The library affirmation of slug: one id in every locale."""
    return db.session.scalars(select(Affirmation).where(Affirmation.slug == slug)).one()


def send(client, uid="sam", **body):
    body.setdefault("client_id", str(uuid.uuid4()))
    return client.post(URL, json=body, headers=auth(uid))


def test_send_a_library_affirmation(client, couple):
    item = library_item("still-butterflies")
    response = send(client, affirmation_id=item.id)
    assert response.status_code == 201
    message = response.json
    assert message["text"] == "After all this time, you still give me butterflies."
    assert message["affirmation"] == {
        "id": item.id,
        "slug": "still-butterflies",
        "category": "love",
    }
    assert message["sender_id"] == couple.user_a_id
    assert message["recipient_id"] == couple.user_b_id
    assert (message["read_at"], message["reaction"]) == (None, None)
    assert message["created_at"].endswith("Z")

    (push,) = db.session.scalars(select(Notification)).all()
    assert push.recipient_id == couple.user_b_id
    assert push.category == "affirmation"
    assert push.title == "Sam sent you an affirmation"
    assert push.body == message["text"]
    assert push.data == {"event": "affirmation", "message_id": str(message["id"])}


def test_send_own_words_keeps_them_out_of_the_push_and_the_logs(client, couple, run_jobs, caplog):
    DeviceFactory(user=db.session.get(User, couple.user_b_id))
    secret = "  You were wonderful with my mother today, thank you  "
    caplog.set_level(logging.DEBUG)
    response = send(client, text=secret)
    assert response.status_code == 201
    assert response.json["text"] == secret.strip()
    assert response.json["affirmation"] is None
    run_jobs()
    (push,) = db.session.scalars(select(Notification)).all()
    assert push.status == "sent"
    assert "mother" not in push.body and "mother" not in push.title
    assert "mother" not in caplog.text


def test_replay_answers_200_with_the_original(client, couple):
    client_id = str(uuid.uuid4())
    first = send(client, text="First words", client_id=client_id)
    again = send(client, text="First words", client_id=client_id.upper())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert len(db.session.scalars(select(AffirmationMessage)).all()) == 1
    assert len(db.session.scalars(select(Notification)).all()) == 1


def test_partner_cannot_reuse_a_client_id(client, couple):
    client_id = str(uuid.uuid4())
    send(client, text="Mine", client_id=client_id)
    response = send(client, "alex", text="Yours", client_id=client_id)
    assert response.status_code == 409
    assert len(db.session.scalars(select(AffirmationMessage)).all()) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 501},
        {"text": "Hi", "affirmation_id": 1},
        {},
        {"text": "Hi", "client_id": "not-a-uuid"},
        {"text": "Hi", "sender_id": 5},
        {"text": 42},
        {"affirmation_id": 10**30},  # past any id: 422, not an overflow in the query
        {"affirmation_id": 0},
        {"text": "Hi\u0000"},  # PostgreSQL stores no NUL
    ],
)
def test_invalid_send_is_422_and_writes_nothing(client, couple, body):
    response = send(client, **body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["errors"]
    assert db.session.scalars(select(AffirmationMessage)).all() == []
    assert db.session.scalars(select(Notification)).all() == []


def test_the_422_says_which_rule_of_the_two_sources_was_broken(client, couple):
    neither = send(client).json["errors"]["_schema"]
    assert neither == ["Send affirmation_id or text: one is required."]
    both = send(client, text="Hi", affirmation_id=library_item("your-laugh").id)
    assert both.json["errors"]["_schema"] == ["Send either affirmation_id or text, not both."]
    # In the sender's language, as every message of the API.
    db.session.get(User, couple.user_a_id).locale = "es"
    db.session.commit()
    spanish = send(client).json["errors"]["_schema"]
    assert spanish == ["Envía affirmation_id o text: uno de los dos es obligatorio."]


def test_text_of_500_characters_is_accepted(client, couple):
    assert send(client, text="é" * 500).status_code == 201


def test_unknown_or_retired_library_id_is_422(client, couple):
    assert send(client, affirmation_id=10**9).json["errors"] == {
        "affirmation_id": ["No such affirmation in the library."]
    }
    item = library_item("hug-coupon")
    item.retired_at = item.created_at
    db.session.commit()
    assert send(client, affirmation_id=item.id).status_code == 422


def test_not_paired_is_404(client, couple):
    UserFactory(uid="solo")
    assert send(client, "solo", text="Hello?").status_code == 404
    assert client.get(URL, headers=auth("solo")).status_code == 404


def test_boxes_show_each_side_its_own_messages(client, couple):
    ids = [send(client, text=f"Note {n}").json["id"] for n in range(3)]
    reply = send(client, "alex", text="Back at you").json["id"]

    def box(uid, name):
        return [m["id"] for m in client.get(f"{URL}?box={name}", headers=auth(uid)).json["items"]]

    assert box("alex", "received") == ids[::-1]
    assert box("sam", "sent") == ids[::-1]
    assert box("sam", "received") == [reply]
    assert box("alex", "sent") == [reply]
    # received is the default box.
    assert [m["id"] for m in client.get(URL, headers=auth("alex")).json["items"]] == ids[::-1]
    assert client.get(f"{URL}?box=all", headers=auth("alex")).status_code == 422


def test_inbox_is_cursor_paginated(client, couple):
    ids = [send(client, text=f"Note {n}").json["id"] for n in range(5)]
    page = client.get(f"{URL}?limit=2", headers=auth("alex")).json
    seen = [m["id"] for m in page["items"]]
    while page["next_cursor"]:
        page = client.get(f"{URL}?limit=2&cursor={page['next_cursor']}", headers=auth("alex")).json
        seen += [m["id"] for m in page["items"]]
    assert seen == ids[::-1]


def test_inbox_costs_the_same_queries_for_3_or_30_messages(client, couple):
    items = db.session.scalars(select(Affirmation).order_by(Affirmation.id).limit(30)).all()

    def count_queries() -> int:
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.get(f"{URL}?limit=100", headers=auth("alex"))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert response.status_code == 200
        return len(statements)

    # Distinct library items, so a lazy load per row would show as extra queries.
    for n, item in enumerate(items):
        if n == 3:
            few = count_queries()
        if n % 3:
            send(client, affirmation_id=item.id)
        else:
            send(client, text=f"Note {n}")
    assert few > 0
    assert count_queries() == few


def test_recipient_marks_read(client, clock, couple):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    message_id = send(client, text="Read me").json["id"]
    clock.advance(minutes=5)
    assert client.post(f"{URL}/{message_id}/read", headers=auth("alex")).status_code == 204
    clock.advance(minutes=5)
    # Reading again keeps the first read time.
    assert client.post(f"{URL}/{message_id}/read", headers=auth("alex")).status_code == 204
    (message,) = client.get(URL, headers=auth("alex")).json["items"]
    assert message["read_at"] == "2026-03-01T09:05:00Z"


def test_sender_cannot_mark_read_or_react(client, couple):
    message_id = send(client, text="Mine").json["id"]
    assert client.post(f"{URL}/{message_id}/read", headers=auth("sam")).status_code == 403
    put = client.put(f"{URL}/{message_id}/reaction", json={"emoji": "😀"}, headers=auth("sam"))
    assert put.status_code == 403
    stored = db.session.get(AffirmationMessage, message_id)
    assert (stored.read_at, stored.reaction) == (None, None)


@pytest.mark.parametrize("emoji", ["❤️", "👍🏽", "👨‍👩‍👧", "🇪🇸", "🫶"])
def test_recipient_reacts_with_one_emoji(client, couple, emoji):
    message_id = send(client, text="React to me").json["id"]
    response = client.put(
        f"{URL}/{message_id}/reaction", json={"emoji": emoji}, headers=auth("alex")
    )
    assert response.status_code == 200
    assert response.json["reaction"] == emoji
    assert response.json["read_at"] is not None
    again = client.put(f"{URL}/{message_id}/reaction", json={"emoji": "😂"}, headers=auth("alex"))
    assert again.json["reaction"] == "😂"


@pytest.mark.parametrize("emoji", ["", "a", ":)", "👍👍", "❤️ ", "love", None, 1])
def test_reaction_must_be_one_emoji(client, couple, emoji):
    message_id = send(client, text="React to me").json["id"]
    response = client.put(
        f"{URL}/{message_id}/reaction", json={"emoji": emoji}, headers=auth("alex")
    )
    assert response.status_code == 422
    assert db.session.get(AffirmationMessage, message_id).reaction is None


def test_another_couples_message_is_404_and_untouched(client, couple, other_couple):
    message_id = send(client, text="Only for Alex").json["id"]
    assert client.post(f"{URL}/{message_id}/read", headers=auth("kim")).status_code == 404
    put = client.put(f"{URL}/{message_id}/reaction", json={"emoji": "😀"}, headers=auth("kim"))
    assert put.status_code == 404
    assert put.json["status"] == 404
    assert client.get(f"{URL}?box=sent", headers=auth("jo")).json["items"] == []
    assert client.post(f"{URL}/999999/read", headers=auth("alex")).status_code == 404
    stored = db.session.get(AffirmationMessage, message_id)
    assert (stored.read_at, stored.reaction) == (None, None)


def test_unpairing_makes_messages_unreachable(client, couple):
    send(client, text="Before")
    unpair(db.session, user=db.session.get(User, couple.user_a_id))
    assert client.get(URL, headers=auth("alex")).status_code == 404
    # A new couple starts with an empty inbox.
    CoupleFactory(a=db.session.get(User, couple.user_b_id), b=UserFactory(uid="new"))
    assert client.get(URL, headers=auth("alex")).json["items"] == []


def test_erasure_deletes_the_words_the_user_sent_and_received_at_once(client, couple):
    written = send(client, text="Sam's words").json["id"]
    received = send(client, "alex", text="Alex's words").json["id"]
    assert client.delete("/v1/me", headers=auth("sam")).status_code == 204
    db.session.expire_all()
    # What the erased user wrote goes at once (API.md), not at the 30-day purge.
    assert db.session.get(AffirmationMessage, written) is None
    # What the erased user received was theirs: it goes with them.
    assert db.session.get(AffirmationMessage, received) is None
