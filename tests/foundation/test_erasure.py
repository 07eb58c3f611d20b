"""DELETE /v1/me leaves nothing personal: every table is searched for the erased user."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from api.affirmations.models import AffirmationMessage, GratitudeEntry
from api.extensions import db
from api.questions.models import Question
from api.users.models import User
from tests.conftest import auth
from tests.pairing.util import invite, pair

NAME = "Quillon Erasedperson"  # unique enough to search every text column for


def _post(client: Any, uid: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = client.post(path, json=body, headers=auth(uid))
    assert response.status_code in (201, 202), (path, response.get_json())
    return response.get_json()


def test_erasing_an_account_leaves_no_row_and_no_text_about_the_person(client, clock):
    clock.set(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # a Monday morning in Berlin
    client.patch("/v1/me", json={"display_name": NAME}, headers=auth("quill"))
    client.patch("/v1/me", json={"display_name": "Sam"}, headers=auth("sam"))
    client.patch("/v1/me", json={"display_name": "Kim"}, headers=auth("kim"))
    _post(client, "quill", "/v1/devices", {"token": "quill-phone-" + "x" * 30, "platform": "ios"})

    # An earlier couple the person left: Kim was told, by name.
    pair(client, "kim", "quill")
    assert client.delete("/v1/couple", headers=auth("quill")).status_code == 204

    # The current couple: Sam invited, the person joined (Sam was told, by name).
    pair(client, "sam", "quill")
    ritual = _post(
        client,
        "quill",
        "/v1/couple/rituals",
        {
            "title": "Morning coffee",
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": "08:00",
            },
            "client_id": str(uuid.uuid4()),
        },
    )
    rid = ritual["id"]
    cid = str(uuid.uuid4())
    # The nudge first: once the person has checked in, this "either" day needs nothing more.
    _post(client, "quill", f"/v1/couple/rituals/{rid}/nudge")
    _post(client, "quill", f"/v1/couple/rituals/{rid}/check-ins", {"client_id": cid, "note": "☕"})
    _post(
        client,
        "quill",
        "/v1/couple/affirmations",
        {"text": "You are my favourite.", "client_id": str(uuid.uuid4())},
    )
    _post(
        client,
        "quill",
        "/v1/couple/gratitude",
        {"text": "The way you laugh.", "client_id": str(uuid.uuid4())},
    )
    client.get("/v1/affirmations/daily", headers=auth("quill"))
    # The daily question, answered by both (the reveal push to Sam names the person).
    db.session.add(Question(slug="why", locale="en", depth="light", category="us", text="Why?"))
    db.session.commit()
    question = client.get("/v1/couple/questions/today", headers=auth("quill")).get_json()
    for uid in ("sam", "quill"):
        answered = client.put(
            f"/v1/couple/questions/{question['id']}/answer",
            json={"text": f"{uid} answers", "client_id": str(uuid.uuid4())},
            headers=auth(uid),
        )
        assert answered.status_code == 201
    invite_after = client.post("/v1/invites", headers=auth("quill"))  # 409: paired; harmless
    assert invite_after.status_code == 409
    quill_id = db.session.scalar(select(User.id).where(User.uid == "quill"))
    db.session.remove()

    assert client.delete("/v1/me", headers=auth("quill")).status_code == 204

    leftovers = []
    for table in db.metadata.sorted_tables:
        user_columns = [
            c.name
            for c in table.columns
            if any(fk.column.table.name == "users" for fk in c.foreign_keys)
        ]
        for row in db.session.execute(select(table)).mappings():
            for column in user_columns:
                if row[column] == quill_id:
                    leftovers.append(f"{table.name}.{column} = the erased user: {dict(row)}")
            for column, value in row.items():
                if NAME in str(value) or "quill" in str(value):
                    leftovers.append(f"{table.name}.{column} names the erased user: {dict(row)}")
    assert not leftovers, "\n".join(leftovers)

    # What the person wrote is gone at once, not left for the 30-day purge.
    assert db.session.execute(select(AffirmationMessage.text)).all() == []
    assert db.session.execute(select(GratitudeEntry.text)).all() == []
    # Sam's feed: told of the erasure, without the name; nothing pointing at gone check-ins.
    feed = client.get("/v1/notifications", headers=auth("sam")).get_json()["items"]
    assert [n["body"] for n in feed] == [
        "Your partner deleted their account. Your shared rituals are closed."
    ]
    kim_feed = client.get("/v1/notifications", headers=auth("kim")).get_json()["items"]
    assert all(NAME not in n["title"] + n["body"] for n in kim_feed)
    # The code the person made before pairing is gone with them (nobody can pair with a ghost).
    assert invite(client, "kim")
