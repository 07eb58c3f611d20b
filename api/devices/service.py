"""Use cases of the caller's devices."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, select
from sqlalchemy.orm import Session

from api.clock import now
from api.db_utils import execute_core, insert_ignore
from api.devices.models import Device
from api.errors import NotFound
from api.i18n import N_
from api.users.models import User

# Devices kept per user (API.md): an eleventh evicts the least recently seen, so one message
# never fans out to hundreds of deliveries.
MAX_DEVICES_PER_USER = 10


def register(
    session: Session, *, user_id: int, token: str, platform: str, app_version: str | None
) -> tuple[Device, bool]:
    """Upsert a device by token; a token another user had moves to this one. True if new to them."""
    moment = now()
    values = {
        "user_id": user_id,
        "token": token,
        "platform": platform,
        "app_version": app_version,
        "created_at": moment,
        "last_seen_at": moment,
    }
    # The user's row is locked first: two new phones registering at once each evicted against
    # a list without the other's, and the user kept one device over the cap.
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    while True:
        new_id = insert_ignore(session, Device, values, conflict_on=["token"])
        if new_id is not None:
            _evict_beyond_cap(session, user_id=user_id, keep_id=new_id)
            session.commit()
            return session.get(Device, new_id), True  # type: ignore[return-value]
        device = session.scalars(
            select(Device).where(Device.token == token).with_for_update()
        ).one_or_none()
        if device is not None:
            break
        # The row that refused the insert was deleted since (signed out, pruned): insert again.
    created = device.user_id != user_id
    if created:
        # The phone changed hands: the new owner starts fresh on it.
        device.user_id = user_id
        device.created_at = moment
    device.platform = platform
    device.app_version = app_version
    device.last_seen_at = moment
    if created:
        session.flush()
        _evict_beyond_cap(session, user_id=user_id, keep_id=device.id)
    session.commit()
    return device, created


def _evict_beyond_cap(session: Session, *, user_id: int, keep_id: int) -> None:
    """Delete the user's least recently seen devices beyond the cap (never keep_id, the new one)."""
    stale = session.scalars(
        select(Device.id)
        .where(Device.user_id == user_id, Device.id != keep_id)
        .order_by(Device.last_seen_at.desc(), Device.id.desc())
        .offset(MAX_DEVICES_PER_USER - 1)
    ).all()
    if stale:
        session.execute(delete(Device).where(Device.id.in_(stale)))


@functools.cache
def _list_statement() -> Select[Any]:
    """list_for's SELECT, built once: bound ``user_id``."""
    devices = Device.__table__.c
    return select(*devices).where(devices.user_id == bindparam("user_id")).order_by(devices.id)


def list_for(session: Session, *, user_id: int) -> list[Row[Any]]:
    """The user's devices, oldest first, as rows of their columns (read as a Device reads)."""
    return list(execute_core(session, _list_statement(), {"user_id": user_id}))


def remove(session: Session, *, user_id: int, device_id: int) -> None:
    """Delete one of the user's devices; anyone else's is a 404."""
    device = session.scalar(select(Device).where(Device.id == device_id, Device.user_id == user_id))
    if device is None:
        raise NotFound(N_("No such device."))
    session.delete(device)
    session.commit()
