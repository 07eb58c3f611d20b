"""A write's client_id (API.md, Conventions): one rule for every route that takes one.

A client_id names one write of one partner, and it is the couple's: each table that keeps one
has a unique key on (couple_id, client_id), so the database decides between two racing
requests. The same client_id again answers as follows, whatever the route:

- from the partner who wrote it: a replay, 200 with the original (never a second row);
- from the other partner: 409 `client-id-taken` (it is not their write to replay);
- once the row was deleted: 404, from either phone (api/tombstones).

A domain may refuse more (a check-in's client_id on another ritual is 409 too).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.errors import Conflict
from api.i18n import N_


class ClientIdTaken(Conflict):
    title = N_("client_id already used")


PARTNERS = N_("This client_id belongs to something your partner wrote.")


def check_owner(existing: Any, owner: InstrumentedAttribute[Any], *, user_id: int) -> None:
    """409 unless the row under a client_id was written by user_id (its owner column)."""
    if getattr(existing, owner.key) != user_id:
        raise ClientIdTaken(PARTNERS)


def replayed(
    session: Session,
    owner: InstrumentedAttribute[Any],
    *,
    couple_id: int,
    client_id: str,
    user_id: int,
) -> Any | None:
    """The couple's row under client_id if user_id wrote it (a replay), None if none; else 409.

    owner is the model's column naming who wrote the row (``Memory.author_id``); the model has
    ``couple_id`` and ``client_id`` columns with a unique key on the pair.
    """
    model = owner.class_
    existing = session.scalar(
        select(model).where(model.couple_id == couple_id, model.client_id == client_id)
    )
    if existing is not None:
        check_owner(existing, owner, user_id=user_id)
    return existing
