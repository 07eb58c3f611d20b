"""Use cases of the user's own account."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.notifications.categories import PREFERENCES
from api.users.models import User


def to_dict(user: User) -> dict[str, Any]:
    """The /v1/me representation."""
    quiet = None
    if user.quiet_hours_start is not None and user.quiet_hours_end is not None:
        quiet = {"start": user.quiet_hours_start, "end": user.quiet_hours_end}
    return {
        "id": user.id,
        "display_name": user.display_name,
        "timezone": user.timezone,
        "locale": user.locale,
        "quiet_hours": quiet,
        "notification_preferences": {p: getattr(user, f"notify_{p}") for p in PREFERENCES},
        "couple_id": user.couple_id,
        "created_at": user.created_at,
    }


def update(session: Session, *, user: User, changes: dict[str, Any]) -> User:
    """Apply a validated partial update of the profile."""
    for key in ("display_name", "timezone", "locale"):
        if key in changes:
            setattr(user, key, changes[key])
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"]
        user.quiet_hours_start = quiet["start"] if quiet else None
        user.quiet_hours_end = quiet["end"] if quiet else None
    for pref, value in changes.get("notification_preferences", {}).items():
        setattr(user, f"notify_{pref}", value)
    session.commit()
    return user


def erase(session: Session, *, user: User) -> None:
    """Erase the account: unpair first (the partner is told), then delete everything personal.

    Devices, check-ins and notifications go with the row (ON DELETE CASCADE); messages the user
    sent keep their text for the recipient but lose their author (ON DELETE SET NULL).
    """
    from api.pairing import service as pairing

    pairing.before_erase(session, user=user)
    session.delete(user)
    session.commit()
