"""A couple's ritual: something they do on certain days at a local time."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.clock import now
from api.extensions import db

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Ritual(db.Model):
    __tablename__ = "rituals"
    __table_args__ = (UniqueConstraint("couple_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    template_key: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    days: Mapped[list[str]] = mapped_column(JSON)
    time: Mapped[time]
    # The zone in force; for a ritual that follows the couple, a copy of the couple's zone kept
    # up to date by api.rituals.history whenever the couple's zone changes.
    timezone: Mapped[str] = mapped_column(String(64))
    follows_couple: Mapped[bool] = mapped_column(default=False)
    reminder_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_minutes_before: Mapped[int] = mapped_column(default=0)
    completion: Mapped[str] = mapped_column(String(8), default="either")
    paused: Mapped[bool] = mapped_column(default=False)
    client_id: Mapped[str] = mapped_column(String(36))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    deleted_at: Mapped[datetime | None]
    # When the next reminder is due (occurrence minus minutes_before); None when none is.
    next_fire_at: Mapped[datetime | None] = mapped_column(index=True)
    # The ritual day next_fire_at reminds of, and the last ritual day whose reminder was sent:
    # a day is reminded at most once, whatever moves, and keeps the schedule it was reminded on.
    next_fire_day: Mapped[date | None]
    reminded_through: Mapped[date | None]


class RitualSchedule(db.Model):
    """The schedule a ritual had from ``effective_from`` (a ritual day) until the next row."""

    __tablename__ = "ritual_schedules"
    __table_args__ = (UniqueConstraint("ritual_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    effective_from: Mapped[date]
    days: Mapped[list[str]] = mapped_column(JSON)
    time: Mapped[time]
    timezone: Mapped[str] = mapped_column(String(64))
    day_starts_at: Mapped[time]

    ritual: Mapped[Ritual] = relationship()


class RitualTemplate(db.Model):
    """A starting point for a ritual, managed as content (`flask content import`)."""

    __tablename__ = "ritual_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    schedule_days: Mapped[list[str]] = mapped_column(JSON)
    schedule_time: Mapped[time]
    completion: Mapped[str] = mapped_column(String(8), default="either")
    reminder_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_minutes_before: Mapped[int] = mapped_column(default=0)
    # Retired templates leave GET /v1/ritual-templates; rituals made from them keep working.
    retired_at: Mapped[datetime | None]
    # {locale: {"title": ..., "description": ...}} from content/ritual_templates/<locale>.yaml.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
