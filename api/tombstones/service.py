"""Bury the client_id of a deleted row; tell a late replay of its create that it is gone.

API.md: a replay of a create "answers 200 with the original object instead of creating a
second one". Once the original is deleted there is no object to answer with, and creating
it anew would bring back what a partner deleted (a phone's offline queue flushing late).
So the replay answers 404, as for a ritual deleted since (rituals keep their rows).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.clock import now
from api.db_utils import conflict_insert, execute_core
from api.tombstones.models import Tombstone

# A phone retries within minutes, or when it comes back online; a replay later than this
# creates the row anew. Older tombstones of the couple go as the next one is written.
KEEP = timedelta(days=30)


def bury(session: Session, *, couple_id: int, kind: str, client_id: str) -> None:
    """Record, in the caller's transaction, that the couple's `kind` row of client_id is gone."""
    moment = now()
    # The expired first: one of them may be this very client_id's, from an earlier deletion.
    session.execute(
        delete(Tombstone).where(
            Tombstone.couple_id == couple_id, Tombstone.deleted_at < moment - KEEP
        )
    )
    execute_core(
        session,
        conflict_insert(session.get_bind().dialect.name)(Tombstone)
        .values(couple_id=couple_id, kind=kind, client_id=client_id, deleted_at=moment)
        .on_conflict_do_nothing(index_elements=["couple_id", "kind", "client_id"]),
    )


def buried(session: Session, *, couple_id: int, kind: str, client_id: str) -> bool:
    """Whether the couple's `kind` row of client_id was deleted (within KEEP)."""
    return (
        session.scalar(
            select(Tombstone.deleted_at).where(
                Tombstone.couple_id == couple_id,
                Tombstone.kind == kind,
                Tombstone.client_id == client_id,
                Tombstone.deleted_at >= now() - KEEP,
            )
        )
        is not None
    )
