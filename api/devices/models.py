"""A phone (or browser) that can receive pushes for one user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.clock import now
from api.extensions import db


class Device(db.Model):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # FCM registration tokens are up to ~4 KB in theory, ~160 chars in practice.
    token: Mapped[str] = mapped_column(String(4096), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    app_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
    # Refreshed whenever the app re-registers the token; stale devices are pruned.
    last_seen_at: Mapped[datetime] = mapped_column(default=now, index=True)
