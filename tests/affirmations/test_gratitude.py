"""/v1/couple/gratitude: the shared list of what each partner appreciates about the other."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from api.affirmations.models import GratitudeEntry
from api.extensions import db
from tests.conftest import auth
from tests.factories import CoupleFactory, UserFactory

URL = "/v1/couple/gratitude"


@pytest.fixture
def couple():
    return CoupleFactory(a=UserFactory(uid="sam"), b=UserFactory(uid="alex"))


def add(client, uid, text, client_id=None):
    body = {"text": text, "client_id": client_id or str(uuid.uuid4())}
    return client.post(URL, json=body, headers=auth(uid))


def test_both_partners_add_to_and_read_one_list(client, couple):
    first = add(client, "sam", "The way Alex sings in the shower")
    assert first.status_code == 201
    assert first.json["author_id"] == couple.user_a_id
    assert first.json["created_at"].endswith("Z")
    second = add(client, "alex", "  Sam always warms my side of the bed  ")
    assert second.json["text"] == "Sam always warms my side of the bed"
    for uid in ("sam", "alex"):
        items = client.get(URL, headers=auth(uid)).json["items"]
        assert [i["id"] for i in items] == [second.json["id"], first.json["id"]]


def test_replay_answers_200_with_the_original(client, couple):
    client_id = str(uuid.uuid4())
    first = add(client, "sam", "Coffee in bed", client_id)
    again = add(client, "sam", "Coffee in bed", client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert add(client, "alex", "Other", client_id).status_code == 409
    assert len(db.session.scalars(select(GratitudeEntry)).all()) == 1


def test_list_is_paginated(client, couple):
    ids = [add(client, "sam", f"Thing {n}").json["id"] for n in range(5)]
    page = client.get(f"{URL}?limit=3", headers=auth("alex")).json
    rest = client.get(f"{URL}?limit=3&cursor={page['next_cursor']}", headers=auth("alex")).json
    assert [i["id"] for i in page["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "x" * 501},
        {"client_id": "x", "text": "Hi"},
        {"text": "Hi", "author_id": 1},
    ],
)
def test_invalid_entry_is_422(client, couple, body):
    body.setdefault("client_id", str(uuid.uuid4()))
    response = client.post(URL, json=body, headers=auth("sam"))
    assert response.status_code == 422
    assert db.session.scalars(select(GratitudeEntry)).all() == []


def test_only_the_author_deletes(client, couple):
    entry_id = add(client, "sam", "Alex's patience").json["id"]
    # The partner sees the entry on the shared list, so 403 hides nothing; it just says no.
    response = client.delete(f"{URL}/{entry_id}", headers=auth("alex"))
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    assert db.session.get(GratitudeEntry, entry_id) is not None
    assert client.delete(f"{URL}/{entry_id}", headers=auth("sam")).status_code == 204
    assert client.get(URL, headers=auth("alex")).json["items"] == []
    assert client.delete(f"{URL}/{entry_id}", headers=auth("sam")).status_code == 404


def test_another_couples_entry_is_404_and_untouched(client, couple):
    CoupleFactory(a=UserFactory(uid="jo"), b=UserFactory(uid="kim"))
    entry_id = add(client, "sam", "Private to us").json["id"]
    assert client.delete(f"{URL}/{entry_id}", headers=auth("jo")).status_code == 404
    assert client.get(URL, headers=auth("jo")).json["items"] == []
    assert db.session.get(GratitudeEntry, entry_id) is not None


def test_not_paired_is_404(client):
    assert add(client, "solo", "Anyone?").status_code == 404
    assert client.get(URL, headers=auth("solo")).status_code == 404
