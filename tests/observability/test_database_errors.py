"""A database error never carries a user's words into a log line, and a full disk is a 503."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from api.extensions import db
from tests.conftest import auth
from tests.paired_couple import pair_in_berlin

SECRET = "private-words-to-my-partner"


@pytest.fixture
def failing_insert() -> Iterator[Callable[[str, str], None]]:
    """Make the next affirmation INSERT fail with the database's own error (a trigger)."""
    made: list[str] = []

    def arm(message: str, sqlstate: str) -> None:
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text(
                    "CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"RAISE EXCEPTION '{message}' USING ERRCODE = '{sqlstate}'; END $$"
                )
            )
            db.session.execute(
                text(
                    "CREATE TRIGGER fail_insert BEFORE INSERT ON affirmation_messages "
                    "FOR EACH ROW EXECUTE FUNCTION fail_insert()"
                )
            )
        else:  # SQLite has no SQLSTATE: the trigger aborts the statement
            db.session.execute(
                text(
                    "CREATE TRIGGER fail_insert BEFORE INSERT ON affirmation_messages "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
            )
        db.session.commit()
        made.append(db.engine.dialect.name)

    yield arm
    db.session.rollback()
    for dialect in made:
        if dialect == "postgresql":
            db.session.execute(text("DROP TRIGGER fail_insert ON affirmation_messages"))
            db.session.execute(text("DROP FUNCTION fail_insert()"))
        else:
            db.session.execute(text("DROP TRIGGER fail_insert"))
    db.session.commit()


def _send_affirmation(client: FlaskClient) -> object:
    return client.post(
        "/v1/couple/affirmations",
        json={"text": SECRET, "client_id": str(uuid.uuid4())},
        headers=auth("alex"),
    )


def test_an_unexpected_database_error_logs_no_sql_parameters(
    client: FlaskClient, clock: object, failing_insert: Callable[[str, str], None], log_lines
) -> None:
    pair_in_berlin(client, clock)
    failing_insert("check violated", "P0001")
    response = _send_affirmation(client)
    assert response.status_code == 500
    logged = log_lines.raw()
    assert "check violated" in logged  # the error and its traceback are there ...
    assert SECRET not in logged  # ... without the statement's parameters


@pytest.mark.postgres
def test_a_full_disk_answers_503_with_retry_after(
    client: FlaskClient, clock: object, failing_insert: Callable[[str, str], None], log_lines
) -> None:
    pair_in_berlin(client, clock)
    failing_insert("could not extend file: No space left on device", "53100")
    response = _send_affirmation(client)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert SECRET not in log_lines.raw()
