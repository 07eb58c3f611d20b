"""Use cases of the user's own account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, delete, or_, select, text
from sqlalchemy.orm import Session

from api.lifecycle import user_erasing
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

    Devices, invites, check-ins, nudges and the user's own notifications go with the row (ON
    DELETE CASCADE); every text the user wrote (messages, gratitude, rituals they created, and
    each later domain's) is deleted at once by that domain's user_erasing receiver. What the
    user's actions pushed to partners (which name the user, and point at check-ins and nudges
    that are gone) is deleted here.
    """
    from api.pairing import service as pairing
    from api.pairing.models import Couple

    # Locked before anything is read, the couple first as unpairing does (one order, no
    # deadlock with the partner's unpair): a text, memory or ritual the user's other phone
    # writes takes lock_own_account first, so it either committed before (and is erased with
    # the rest) or waits and finds the account gone. FOR NO KEY UPDATE, not FOR UPDATE: pushes
    # and rows that point at the user (foreign-key checks) must not wait, or the partner's
    # check-in and the clock's ticks would deadlock with the erasure.
    if user.couple_id is not None:
        session.execute(
            select(Couple.id).where(Couple.id == user.couple_id).with_for_update(key_share=True)
        )
    locked = select(User.id).where(User.id == user.id).with_for_update(key_share=True)
    if session.scalar(locked) is None:
        return  # erased meanwhile by the other phone's own DELETE /v1/me
    _forget_pushes_about(session, user)
    pairing.before_erase(session, user=user)
    # Each domain that keeps what the user wrote erases it here (api/lifecycle.py).
    user_erasing.send(user, session=session)
    session.delete(user)
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        # secure_delete zeroes the freed pages of the database file, but the write-ahead log
        # still holds earlier page images with the texts: fold it in and truncate it now.
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()


def _forget_pushes_about(session: Session, user: User) -> None:
    """Delete the notifications other people got because of what user did."""
    from api.affirmations.models import AffirmationMessage
    from api.notifications.models import Notification
    from api.pairing.models import Couple
    from api.streaks.models import CheckIn, Nudge

    def ids(stmt: Select[Any]) -> list[str]:
        # Notification.data holds ids as strings (FCM data values are strings).
        return [str(i) for i in session.scalars(stmt)]

    data = Notification.data
    caused = [
        data["check_in_id"]
        .as_string()
        .in_(ids(select(CheckIn.id).where(CheckIn.user_id == user.id))),
        data["nudge_id"].as_string().in_(ids(select(Nudge.id).where(Nudge.sender_id == user.id))),
        data["message_id"]
        .as_string()
        .in_(ids(select(AffirmationMessage.id).where(AffirmationMessage.sender_id == user.id))),
        # In the user's couples, every pairing push to someone else was the user's doing: the
        # inviter hears that the user joined, the partner that the user left.
        and_(
            Notification.category == "pairing",
            data["couple_id"]
            .as_string()
            .in_(
                ids(
                    select(Couple.id).where(
                        or_(Couple.user_a_id == user.id, Couple.user_b_id == user.id)
                    )
                )
            ),
        ),
    ]
    session.execute(delete(Notification).where(Notification.recipient_id != user.id, or_(*caused)))


def lock_own_account(session: Session, user: User) -> None:
    """Hold the caller's row (FOR SHARE) for a write that creates what erasure must delete.

    Taken before the write's other locks (after its couple's, where it locks that): an erasure
    of the account under way (its lock) is waited for, and then the account is gone: 401.
    """
    from api.auth import Unauthenticated
    from api.i18n import N_

    held = select(User.id).where(User.id == user.id).with_for_update(read=True)
    if session.scalar(held) is None:
        raise Unauthenticated(N_("This account was deleted meanwhile."))
