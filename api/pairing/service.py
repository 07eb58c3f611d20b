"""Use cases of pairing: invites, joining, the couple, unpairing, the purge.

Each use case is one transaction with one commit. The races that matter (two people redeeming
one code, A joining B while B joins C, a double-tapped "new invite") are decided by the
database: conditional UPDATEs whose row counts are checked, rows locked in one global order,
and partial unique indexes as the backstop (see models.py).
"""

from __future__ import annotations

import functools
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.clock import now
from api.db_utils import execute_core, insert_ignore, unique_violation
from api.errors import Conflict, DomainError, Invalid, NotFound, RateLimited
from api.i18n import N_, text
from api.lifecycle import couple_unpaired, couples_purging
from api.notifications.models import PENDING, SUPPRESSED, Notification
from api.notifications.service import notify
from api.pairing.models import Couple, Invite
from api.quotas import service as quotas
from api.rituals.calendar import local_day
from api.streaks.days import in_couple_future
from api.users.models import User

# Crockford's base32 without I, L, O and U: nothing to misread when a code is read aloud.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
INVITE_TTL = timedelta(hours=24)
PURGE_AFTER = timedelta(days=30)
PURGE_BATCH = 200
# New invite codes one user may draw per UTC day: each revokes the last, so more is only noise
# (or a way to grow the table).
INVITES_PER_DAY = 20
# Crockford decoding: the letters people type for the digits they saw.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


class AlreadyPaired(Conflict):
    title = N_("Already paired")


class InviteDailyLimit(RateLimited):
    title = N_("Daily limit reached")


class InviteNotFound(NotFound):
    """Unknown, expired, used and revoked codes alike: the answer never says which."""

    title = N_("Invite not found")


class NoLiveInvite(NotFound):
    title = N_("No live invite")


class OwnInvite(DomainError):
    status = 422
    title = N_("Own invite")

    def __init__(self) -> None:
        message = N_("That is your own invite code; send it to your partner instead.")
        super().__init__(message, errors={"code": [message]})


@dataclass(frozen=True)
class NewInvite:
    code: str
    expires_at: datetime


def generate_code() -> str:
    """8 characters of Crockford base32 from the cryptographic RNG (40 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """The stored code as people see it: XXXX-XXXX."""
    return f"{code[:4]}-{code[4:]}"


def _is_separator(char: str) -> bool:
    # Any dash a keyboard or autocorrect produces (Unicode Pd: hyphen, en/em dash, ...), the
    # minus sign, the soft hyphen, and any space (NBSP and friends included).
    return char.isspace() or unicodedata.category(char) == "Pd" or char in "\u2212\u00ad\u2010"


def normalise_code(raw: str) -> str | None:
    """The stored form of what a person typed (any case, dash or not); None if it cannot be one."""
    # NFKC first: full-width letters and digits (a Japanese keyboard) become ASCII.
    folded = unicodedata.normalize("NFKC", raw)
    code = "".join(c for c in folded if not _is_separator(c)).upper().translate(_CONFUSABLE)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def create_invite(session: Session, *, user: User) -> NewInvite:
    """A new invite for user, revoking their live one; 409 when user is already paired."""
    for attempt in range(3):
        try:
            return _create_invite(session, user=user)
        except IntegrityError as exc:
            if not unique_violation(exc):
                raise  # a row it names was deleted meanwhile: api/errors.py answers
            # A double tap: the other request's invite landed between our revoke and insert
            # (the partial unique index said so). Again, and this one revokes that one.
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _create_invite(session: Session, *, user: User) -> NewInvite:
    if _couple_id_of(session, user.id) is not None:
        raise AlreadyPaired(N_("You are already paired; unpair first to invite someone new."))
    moment = now()
    if not quotas.take(
        session, user_id=user.id, scope="invite", day=moment.date(), limit=INVITES_PER_DAY
    ):
        session.rollback()
        tomorrow = datetime.combine(moment.date() + timedelta(days=1), time(0), moment.tzinfo)
        raise InviteDailyLimit(
            N_("At most %(limit)s new invite codes a day."),
            limit=INVITES_PER_DAY,
            retry_after=math.ceil((tomorrow - moment).total_seconds()),
        )
    # Lock order everywhere: invite rows, then user rows (join and unpair do the same).
    _revoke_live_invites(session, [user.id], moment)
    # Dead codes (revoked or expired, never used) answer the same 404 as codes that never
    # were: their rows are kept for nothing, so they go instead of piling up per user.
    session.execute(
        delete(Invite).where(
            Invite.inviter_id == user.id,
            Invite.used_at.is_(None),
            or_(Invite.revoked_at.is_not(None), Invite.expires_at <= moment),
        )
    )
    expires_at = moment + INVITE_TTL
    while True:  # a collision of 40 random bits is ~never; when it happens, draw again
        code = generate_code()
        values = {
            "inviter_id": user.id,
            "code": code,
            "created_at": moment,
            "expires_at": expires_at,
        }
        if insert_ignore(session, Invite, values, conflict_on=["code"]) is not None:
            break
    # Read again after the revoke, which waited for any join holding our old code: if that
    # join paired us meanwhile, we are paired now and get no live invite.
    if _couple_id_of(session, user.id) is not None:
        session.rollback()
        raise AlreadyPaired(N_("You are already paired; unpair first to invite someone new."))
    session.commit()
    return NewInvite(code=display_code(code), expires_at=expires_at)


@functools.cache
def _current_invite_statement() -> Select[tuple[str, datetime]]:
    """current_invite's SELECT, built once: bound ``user_id`` and ``now``."""
    return select(Invite.code, Invite.expires_at).where(
        Invite.inviter_id == bindparam("user_id"),
        Invite.used_at.is_(None),
        Invite.revoked_at.is_(None),
        Invite.expires_at > bindparam("now", type_=Invite.expires_at.type),
    )


def current_invite(session: Session, *, user: User) -> NewInvite:
    """The user's live invite (unused, unrevoked, unexpired); 404 when there is none."""
    params = {"user_id": user.id, "now": now()}
    invite = execute_core(session, _current_invite_statement(), params).first()
    if invite is None:
        raise NoLiveInvite(N_("You have no live invite code; create one."))
    return NewInvite(code=display_code(invite.code), expires_at=invite.expires_at)


def revoke_invite(session: Session, *, user: User) -> None:
    """Revoke the user's live invite, if any (idempotent)."""
    _revoke_live_invites(session, [user.id], now())
    session.commit()


def join(session: Session, *, user: User, raw_code: str) -> Couple:
    """Redeem an invite code: the inviter and user become a couple, and the inviter is told."""
    try:
        return _join(session, user=user, raw_code=raw_code)
    except DomainError:
        session.rollback()
        raise
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        # The partial unique indexes caught what the checks above them should have: a race.
        session.rollback()
        raise AlreadyPaired(N_("One of you was paired at the same moment.")) from exc


def _join(session: Session, *, user: User, raw_code: str) -> Couple:
    moment = now()
    if user.couple_id is not None:
        raise AlreadyPaired(N_("You are already paired; unpair first to join someone else."))
    code = normalise_code(raw_code)
    invite = session.scalar(select(Invite).where(Invite.code == code)) if code else None
    if invite is None or not _is_live(invite, moment):
        raise InviteNotFound(N_("No live invite has that code."))
    if invite.inviter_id == user.id:
        raise OwnInvite()

    # Claim the code: of two redeemers, the second waits for the first's row lock and then
    # finds used_at set, so it gets the same 404 as a code used yesterday.
    claimed = session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > moment,
        )
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteNotFound(N_("No live invite has that code."))

    # Both people, locked in id order (no deadlock when A joins B while B joins A), and read
    # again under the lock: whoever paired meanwhile is seen here.
    people = _lock_users(session, [invite.inviter_id, user.id])
    inviter, joiner = people.get(invite.inviter_id), people.get(user.id)
    if inviter is None or joiner is None:
        raise InviteNotFound(N_("No live invite has that code."))
    if joiner.couple_id is not None:
        raise AlreadyPaired(N_("You are already paired; unpair first to join someone else."))
    if inviter.couple_id is not None:
        # The same answer as an unknown code: a 409 here would confirm that the code is real.
        raise InviteNotFound(N_("No live invite has that code."))

    couple = Couple(
        user_a_id=inviter.id,
        user_b_id=joiner.id,
        paired_at=moment,
        timezone=inviter.timezone,
        day_starts_at=time(4, 0),
    )
    session.add(couple)
    session.flush()
    linked = session.execute(
        update(User)
        .where(User.id.in_([inviter.id, joiner.id]), User.couple_id.is_(None))
        .values(couple_id=couple.id)
        .execution_options(synchronize_session=False)
    )
    if linked.rowcount != 2:  # cannot happen under the locks; SQLite has none, so check
        raise AlreadyPaired(N_("One of you was paired at the same moment."))
    session.expire(inviter, ["couple_id"])
    session.expire(joiner, ["couple_id"])

    notify(
        session,
        recipient_id=inviter.id,
        couple_id=None,
        category="pairing",
        title=text(N_("Hearth")),
        body=text(
            N_("%(name)s accepted your invite. You are now paired."),
            name=joiner.display_name or text(N_("Your partner")),
        ),
        data={"event": "paired", "couple_id": str(couple.id)},
        dedupe_key=f"paired:{couple.id}:{inviter.id}",
    )
    session.commit()
    return couple


# The fields that move the couple's calendar.
_CALENDAR = ("timezone", "day_starts_at")


def update_couple(session: Session, *, couple: Couple, changes: dict[str, Any]) -> Couple:
    """Apply a validated partial update: anniversary, timezone, day_starts_at, question_time."""
    if any(key in changes and changes[key] != getattr(couple, key) for key in _CALENDAR):
        # The day the couple is on now stays lived whatever the new calendar says of it.
        moment = now()
        day = local_day(moment, tz=couple.timezone, starts_at=couple.day_starts_at)
        couple.lived_through = max(day, couple.lived_through or day)
        couple.moved_at = moment
    for key in ("anniversary", "timezone", "day_starts_at", "question_time"):
        if key in changes:
            setattr(couple, key, changes[key])
    # An anniversary is a day the couple lived (the years together count from it), judged in
    # their calendar as it stands after this update. No flush: a refusal leaves no UPDATE.
    anniversary = changes.get("anniversary")
    with session.no_autoflush:
        if anniversary is not None and in_couple_future(session, couple, anniversary, now()):
            raise Invalid("anniversary", N_("An anniversary cannot be in the future."))
    session.commit()
    return couple


@functools.cache
def _partners_statement() -> Select[Any]:
    """The partners' shown columns by ``a`` and ``b`` (bound user ids; -1 for none), built once."""
    return select(User.id, User.display_name, User.timezone).where(
        or_(User.id == bindparam("a"), User.id == bindparam("b"))
    )


def to_dict(session: Session, couple: Couple) -> dict[str, Any]:
    """The /v1/couple representation (inviter first)."""
    # The three columns shown, not whole User entities (no ORM objects to build).
    ids = {"a": couple.user_a_id or -1, "b": couple.user_b_id or -1}
    people = {row.id: row for row in execute_core(session, _partners_statement(), ids)}
    partners = [people[i] for i in couple.partner_ids if i in people]
    return {
        "id": couple.id,
        "partners": [
            {"id": p.id, "display_name": p.display_name, "timezone": p.timezone} for p in partners
        ],
        "paired_at": couple.paired_at,
        "anniversary": couple.anniversary,
        "timezone": couple.timezone,
        "day_starts_at": couple.day_starts_at,
        "question_time": couple.question_time,
    }


def unpair(session: Session, *, user: User, commit: bool = True, erasing: bool = False) -> None:
    """Leave the couple: its data becomes unreachable at once and the partner is told.

    erasing: the user is erasing their account, so the partner's push does not name them.
    """
    couple = session.get(Couple, user.couple_id) if user.couple_id else None
    if couple is None:
        return
    moment = now()
    # Conditional: when both partners leave at the same moment, only one unpairs (and tells).
    ended = session.execute(
        update(Couple)
        .where(Couple.id == couple.id, Couple.unpaired_at.is_(None))
        .values(unpaired_at=moment)
        .execution_options(synchronize_session=False)
    )
    partner_ids = couple.partner_ids
    # Codes made before or during the couple must not pair anyone with them later. (Invites
    # before users: the lock order of join, so the two never deadlock.)
    _revoke_live_invites(session, partner_ids, moment)
    session.execute(
        update(User)
        .where(User.couple_id == couple.id)
        .values(couple_id=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(couple)
    session.expire(user, ["couple_id"])
    if ended.rowcount != 1:
        if commit:
            session.commit()
        return
    # What was still waiting to be pushed (quiet hours, retries) was about this couple: it
    # stays in the feed and is never pushed now.
    session.execute(
        update(Notification)
        .where(Notification.recipient_id.in_(partner_ids), Notification.status == PENDING)
        .values(status=SUPPRESSED, last_error="couple unpaired")
        .execution_options(synchronize_session=False)
    )
    partner_id = couple.partner_of(user.id)
    if partner_id is not None:
        body = text(
            N_("%(name)s has unpaired. Your shared rituals are closed."),
            name=user.display_name or text(N_("Your partner")),
        )
        if erasing:
            body = text(N_("Your partner deleted their account. Your shared rituals are closed."))
        notify(
            session,
            recipient_id=partner_id,
            couple_id=None,
            category="pairing",
            title=text(N_("Hearth")),
            body=body,
            data={"event": "unpaired", "couple_id": str(couple.id)},
            dedupe_key=f"unpaired:{couple.id}:{partner_id}",
        )
    couple_unpaired.send(couple, session=session)
    if commit:
        session.commit()


def before_erase(session: Session, *, user: User) -> None:
    """What pairing does when an account is erased: revoke its invite, unpair (partner told)."""
    _revoke_live_invites(session, [user.id], now())
    unpair(session, user=user, commit=False, erasing=True)


def purge_unpaired(session: Session, *, older_than: timedelta = PURGE_AFTER) -> int:
    """Delete couples unpaired longer ago than older_than, with their data; returns how many.

    Rituals, check-ins, messages and gratitude go by ON DELETE CASCADE. Notifications name a
    recipient, not a couple; a user is in one couple at a time, so those written to either
    partner while the couple lasted (paired_at .. unpaired_at) were the couple's, and go too.
    """
    cutoff = now() - older_than
    purged = 0
    while True:
        couples = session.scalars(
            select(Couple)
            .where(Couple.unpaired_at.is_not(None), Couple.unpaired_at < cutoff)
            .order_by(Couple.id)
            .limit(PURGE_BATCH)
        ).all()
        if not couples:
            return purged
        for couple in couples:
            if couple.partner_ids:
                session.execute(
                    delete(Notification).where(
                        Notification.recipient_id.in_(couple.partner_ids),
                        or_(
                            Notification.couple_id == couple.id,
                            # Rows written before notifications named their couple:
                            Notification.created_at.between(couple.paired_at, couple.unpaired_at),
                            Notification.data["couple_id"].as_string() == str(couple.id),
                        ),
                    )
                )
        couple_ids = [c.id for c in couples]
        couples_purging.send(None, session=session, couple_ids=couple_ids)
        session.execute(delete(Couple).where(Couple.id.in_(couple_ids)))
        session.commit()  # one batch, one transaction: a crash loses nothing but progress
        purged += len(couples)


def _is_live(invite: Invite, moment: datetime) -> bool:
    return invite.used_at is None and invite.revoked_at is None and invite.expires_at > moment


def _revoke_live_invites(session: Session, user_ids: list[int], moment: datetime) -> None:
    if not user_ids:
        return
    session.execute(
        update(Invite)
        .where(
            Invite.inviter_id.in_(user_ids), Invite.used_at.is_(None), Invite.revoked_at.is_(None)
        )
        .values(revoked_at=moment)
        .execution_options(synchronize_session=False)
    )


def _couple_id_of(session: Session, user_id: int) -> int | None:
    """The user's couple as committed now (not as the session's identity map remembers)."""
    return session.scalar(select(User.couple_id).where(User.id == user_id))


def _lock_users(session: Session, user_ids: list[int]) -> dict[int, User]:
    """SELECT ... FOR UPDATE in id order, refreshing what the session already holds."""
    rows = session.scalars(
        select(User)
        .where(User.id.in_(sorted(set(user_ids))))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {u.id: u for u in rows}
