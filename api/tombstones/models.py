"""What is left of a hard-deleted row that was created with a client_id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.extensions import db


class Tombstone(db.Model):
    """A client_id of the couple's whose row was deleted: its create is not to be replayed.

    Holds no text: only which kind of row ("gratitude", "memory") and its client_id.
    """

    __tablename__ = "tombstones"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deleted_at: Mapped[datetime]
