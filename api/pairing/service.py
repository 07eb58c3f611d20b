"""Use cases of pairing: invites, joining, the couple, unpairing."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from api.clock import now
from api.notifications.service import notify
from api.pairing.models import Couple
from api.users.models import User


def unpair(session: Session, *, user: User, commit: bool = True) -> None:
    """Leave the couple: its data becomes unreachable at once and the partner is told."""
    couple = session.get(Couple, user.couple_id) if user.couple_id else None
    if couple is None or couple.unpaired_at is not None:
        return
    moment = now()
    couple.unpaired_at = moment
    session.execute(update(User).where(User.couple_id == couple.id).values(couple_id=None))
    partner_id = couple.partner_of(user.id)
    if partner_id is not None:
        name = user.display_name or "Your partner"
        notify(
            session,
            recipient_id=partner_id,
            category="pairing",
            title="Hearth",
            body=f"{name} has unpaired. Your shared rituals are closed.",
            data={"event": "unpaired", "couple_id": str(couple.id)},
            dedupe_key=f"unpaired:{couple.id}:{partner_id}",
        )
    session.expire(user, ["couple_id"])
    if commit:
        session.commit()
