"""api.db_utils.execute_core: a Core statement in the session's transaction, flushed as
session.execute would flush, and usable inside a flush hook."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from api.clock import now
from api.db_utils import execute_core
from api.devices.models import Device
from api.extensions import db
from api.users.models import User


def _device_of(uid: str) -> Any:
    """An INSERT of a device whose owner is looked up by uid in the database."""
    owner = select(User.id).where(User.uid == uid).scalar_subquery()
    return insert(Device).values(
        user_id=owner, token=f"token-of-{uid}", platform="ios", created_at=now(), last_seen_at=now()
    )


def test_pending_objects_are_flushed_first(app: Any) -> None:
    db.session.add(User(uid="pending-owner", display_name="P"))
    execute_core(db.session, _device_of("pending-owner"))  # NOT NULL owner: needs the flush
    db.session.commit()
    assert db.session.scalar(select(Device.token)) == "token-of-pending-owner"


def test_it_runs_inside_a_flush_hook_without_flushing_again(app: Any) -> None:
    """A before_flush hook (on this day's schedule follows a couple's edit) may write with it:
    flushing there raised "Session is already flushing"."""
    db.session.add(User(uid="owner", display_name="O"))
    db.session.commit()
    session: Session = db.session()
    ran: list[bool] = []

    def hook(session: Session, flush_context: Any, instances: Any) -> None:
        if not ran:
            with session.no_autoflush:
                execute_core(session, _device_of("owner"))
                ran.append(True)

    event.listen(session, "before_flush", hook)
    try:
        db.session.add(User(uid="other", display_name="X"))
        db.session.commit()
    finally:
        event.remove(session, "before_flush", hook)
    assert ran == [True]
    assert db.session.scalar(select(Device.token)) == "token-of-owner"
