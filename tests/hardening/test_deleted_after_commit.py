"""A write that committed answers 2xx, even when its row is deleted right after the COMMIT.

Another request may delete the row the moment this one commits: an erasure, a sign-out, the
partner's delete, often already waiting on this request's lock. A request that read its
objects back for the response after its COMMIT (which expired them) then failed with a 500
although its write had been saved. Requests keep their objects after COMMIT
(api/__init__.py); jobs still expire them. Each case deletes the request's row from another
transaction as soon as the request commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from api.extensions import db
from tests.conftest import auth
from tests.paired_couple import call, pair_in_berlin


@pytest.fixture
def couple(client: FlaskClient, clock: Any) -> dict[str, Any]:
    """Alex and Sam paired in Berlin, with two daily rituals."""
    return pair_in_berlin(client, clock)


@pytest.fixture
def delete_after_commit() -> Iterator[Any]:
    """delete_after_commit(table): empty `table` from another transaction at the next COMMIT."""
    listeners: list[Any] = []

    def arm(table: str) -> None:
        armed = [table]

        def delete(session: Session) -> None:
            if armed:  # once (a listener may not remove itself while SQLAlchemy calls it)
                with db.engine.begin() as conn:
                    conn.execute(text(f"DELETE FROM {armed.pop()}"))

        listeners.append(delete)
        event.listen(Session, "after_commit", delete)

    yield arm
    for listener in listeners:
        event.remove(Session, "after_commit", listener)


def _message() -> tuple[str, str, dict[str, Any], str]:
    body = {"text": "You make ordinary days feel special", "client_id": str(uuid.uuid4())}
    return "POST", "/v1/couple/affirmations", body, "affirmation_messages"


CASES = {
    "send an affirmation (the recipient erased)": lambda rituals: _message(),
    "edit a ritual (its creator erased)": lambda rituals: (
        "PATCH",
        f"/v1/couple/rituals/{rituals[0]}",
        {"title": "Evening tea"},
        "rituals",
    ),
    "nudge the partner (the ritual's creator erased)": lambda rituals: (
        "POST",
        f"/v1/couple/rituals/{rituals[1]}/nudge",
        None,
        "nudges",
    ),
    "register a phone again (signed out meanwhile)": lambda rituals: (
        "POST",
        "/v1/devices",
        {"token": "phone-token-" + "x" * 40, "platform": "android"},
        "devices",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_committed_write_answers_though_its_row_is_gone(
    client: FlaskClient, couple: dict[str, Any], delete_after_commit: Any, case: str
) -> None:
    method, path, body, table = CASES[case](couple["rituals"])
    if table == "devices":
        call(client, method, path, "sam", body)  # registered once: the second is an update
    delete_after_commit(table)
    response = client.open(path, method=method, json=body, headers=auth("sam"))
    assert response.status_code < 300, response.get_json()
    if body and "title" in body:
        assert response.get_json()["title"] == body["title"]  # what was written
