"""SQLite's stand-in for row locks: FOR UPDATE takes the write lock, a SKIP LOCKED claim none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.extensions import db
from api.users.models import User


@pytest.fixture
def sqlite_session():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the emulation is SQLite's; PostgreSQL has row locks of its own")
    session = db.session
    yield session
    session.rollback()


def _in_transaction(session) -> bool:
    return session.connection().connection.dbapi_connection.in_transaction


def test_a_row_lock_begins_an_immediate_transaction(sqlite_session):
    sqlite_session.execute(select(User.id).with_for_update())
    assert _in_transaction(sqlite_session)


def test_a_share_lock_does_too(sqlite_session):
    sqlite_session.execute(select(User.id).with_for_update(read=True))
    assert _in_transaction(sqlite_session)


def test_a_claim_that_skips_locked_rows_takes_no_lock(sqlite_session):
    # The outbox and clock claims hold their rows across storage and FCM calls: a write lock
    # there would hold up every other writer for as long.
    sqlite_session.execute(select(User.id).with_for_update(skip_locked=True))
    assert not _in_transaction(sqlite_session)


def test_a_plain_read_takes_no_lock(sqlite_session):
    sqlite_session.execute(select(User.id))
    assert not _in_transaction(sqlite_session)
