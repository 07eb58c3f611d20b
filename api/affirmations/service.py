"""Use cases of affirmations: the library, today's suggestion, messages, the gratitude list."""

from __future__ import annotations

import random
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from api import i18n
from api.affirmations.models import (
    Affirmation,
    AffirmationMessage,
    DailySuggestion,
    GratitudeEntry,
)
from api.clock import now
from api.content.loader import FALLBACK_LOCALE, LOCALES
from api.errors import DomainError, Invalid, NotFound
from api.i18n import N_
from api.notifications.service import notify
from api.pagination import Page, decode_cursor, encode_cursor, paginate
from api.pairing.models import Couple
from api.users.models import User


class EmptyLibrary(NotFound):
    title = N_("No affirmations")


class ClientIdTaken(DomainError):
    status = 409
    title = N_("client_id already used")


class RecipientOnly(DomainError):
    status = 403
    title = N_("Only the recipient can do this")


class AuthorOnly(DomainError):
    status = 403
    title = N_("Only the author can delete this entry")


def library_locale(user_locale: str | None) -> str:
    """The library locale for a user's BCP 47 tag: its language when we ship it, else en."""
    language = (user_locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else FALLBACK_LOCALE


def _library(locale: str) -> Select[tuple[Affirmation]]:
    """The live library in locale: its own texts, and the en text for every slug it lacks."""
    live = Affirmation.retired_at.is_(None)
    if locale == FALLBACK_LOCALE:
        return select(Affirmation).where(live, Affirmation.locale == locale)
    translated = select(Affirmation.slug).where(live, Affirmation.locale == locale)
    return select(Affirmation).where(
        live,
        or_(
            Affirmation.locale == locale,
            and_(Affirmation.locale == FALLBACK_LOCALE, Affirmation.slug.not_in(translated)),
        ),
    )


def list_library(
    session: Session, *, user: User, category: str | None, limit: int, cursor: str | None
) -> Page:
    """One page of the library in the user's locale (en fallback), optionally one category."""
    stmt = _library(library_locale(user.locale))
    if category is not None:
        stmt = stmt.where(Affirmation.category == category)
    # Oldest first, unlike the feeds: the library reads in the order its files were written.
    if cursor is not None:
        stmt = stmt.where(Affirmation.id > decode_cursor(cursor, key=Affirmation.id))
    rows = list(session.scalars(stmt.order_by(Affirmation.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].id) if more else None)


def daily(session: Session, *, user: User) -> Affirmation:
    """Today's suggestion: stable for the user's local day, no repeat until the library is done."""
    today = now().astimezone(ZoneInfo(user.timezone)).date()
    library = _library(library_locale(user.locale))
    chosen = session.scalar(
        select(DailySuggestion).where(
            DailySuggestion.user_id == user.id, DailySuggestion.local_date == today
        )
    )
    if chosen is not None:
        item = session.scalar(library.where(Affirmation.slug == chosen.slug))
        if item is not None:
            return item
        # Retired since this morning: today gets a fresh pick below.
    item, cycle = _pick(session, user_id=user.id, today=today, library=library)
    if chosen is None:
        session.add(DailySuggestion(user_id=user.id, local_date=today, slug=item.slug, cycle=cycle))
    else:
        chosen.slug, chosen.cycle = item.slug, cycle
    try:
        session.commit()
    except IntegrityError:
        # A parallel request of the same user picked first; its choice is the day's.
        session.rollback()
        return daily(session, user=user)
    return item


def _pick(
    session: Session, *, user_id: int, today: date, library: Select[tuple[Affirmation]]
) -> tuple[Affirmation, int]:
    """An unshown affirmation of the current cycle, or the first of a new cycle."""
    earlier = (DailySuggestion.user_id == user_id, DailySuggestion.local_date != today)
    cycle = session.scalar(select(func.max(DailySuggestion.cycle)).where(*earlier)) or 1
    shown = select(DailySuggestion.slug).where(*earlier, DailySuggestion.cycle == cycle)
    candidates = library.where(Affirmation.slug.not_in(shown))
    total = _count(session, candidates)
    if total == 0:
        cycle += 1
        # A new cycle never opens with the affirmation of the day before.
        last = session.scalar(
            select(DailySuggestion.slug)
            .where(*earlier)
            .order_by(DailySuggestion.local_date.desc())
            .limit(1)
        )
        candidates = library.where(Affirmation.slug != last) if last else library
        total = _count(session, candidates)
        if total == 0:  # a library of one
            candidates, total = library, _count(session, library)
    if total == 0:
        raise EmptyLibrary(N_("The affirmation library is empty."))
    # Seeded by user and day: the same pick whichever process computes it.
    index = random.Random(f"{user_id}:{today.isoformat()}:{cycle}").randrange(total)
    item = session.scalars(candidates.order_by(Affirmation.slug).offset(index).limit(1)).one()
    return item, cycle


def _count(session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _message_in_couple(session: Session, *, couple: Couple, message_id: int) -> AffirmationMessage:
    message = session.scalar(
        select(AffirmationMessage).where(
            AffirmationMessage.id == message_id, AffirmationMessage.couple_id == couple.id
        )
    )
    if message is None:
        raise NotFound(N_("No such affirmation."))
    return message


def _replayed(
    session: Session,
    owner: InstrumentedAttribute[int | None],
    *,
    couple: Couple,
    client_id: str,
    user: User,
) -> Any | None:
    """The row this couple already has under client_id (a retry), if user wrote it; else 409."""
    model = owner.class_
    existing = session.scalar(
        select(model).where(model.couple_id == couple.id, model.client_id == client_id)
    )
    if existing is not None and getattr(existing, owner.key) != user.id:
        raise ClientIdTaken(N_("This client_id belongs to something your partner wrote."))
    return existing


def send(
    session: Session,
    *,
    couple: Couple,
    sender: User,
    client_id: str,
    affirmation_id: int | None = None,
    text: str | None = None,
) -> tuple[AffirmationMessage, bool]:
    """Send the partner a library affirmation or one's own words; (message, created)."""
    existing = _replayed(
        session, AffirmationMessage.sender_id, couple=couple, client_id=client_id, user=sender
    )
    if existing is not None:
        return existing, False
    recipient_id = couple.partner_of(sender.id)
    if recipient_id is None:
        raise NotFound(N_("Your partner is no longer here."))
    affirmation = None
    if affirmation_id is not None:
        affirmation = session.get(Affirmation, affirmation_id)
        if affirmation is None or affirmation.retired_at is not None:
            raise Invalid("affirmation_id", N_("No such affirmation in the library."))
        text = affirmation.text
    if text is None:
        raise Invalid("text", N_("Send either affirmation_id or text."))
    message = AffirmationMessage(
        couple_id=couple.id,
        sender_id=sender.id,
        recipient_id=recipient_id,
        affirmation_id=affirmation.id if affirmation else None,
        affirmation=affirmation,
        text=text,
        client_id=client_id,
        created_at=now(),
    )
    session.add(message)
    try:
        session.flush()
    except IntegrityError:
        # The same client_id raced in from a retry: answer with the message that won.
        session.rollback()
        return send(session, couple=couple, sender=sender, client_id=client_id, text=text)
    notify(
        session,
        recipient_id=recipient_id,
        category="affirmation",
        title=i18n.text(
            N_("%(name)s sent you an affirmation"),
            name=sender.display_name or i18n.text(N_("Your partner")),
        ),
        # Own words stay off the lock screen and out of push logs; library texts are not private.
        body=i18n.verbatim(affirmation.text)
        if affirmation
        else i18n.text(N_("Open Hearth to read what they wrote.")),
        data={"event": "affirmation", "message_id": str(message.id)},
        dedupe_key=f"affirmation:{message.id}",
    )
    session.commit()
    return message, True


def inbox(
    session: Session, *, couple: Couple, user: User, box: str, limit: int, cursor: str | None
) -> Page:
    """One page of the messages the user received or sent in this couple, newest first."""
    mine = (
        AffirmationMessage.recipient_id == user.id
        if box == "received"
        else AffirmationMessage.sender_id == user.id
    )
    stmt = select(AffirmationMessage).where(AffirmationMessage.couple_id == couple.id, mine)
    return paginate(session, stmt, key=AffirmationMessage.id, limit=limit, cursor=cursor)


def mark_read(session: Session, *, couple: Couple, user: User, message_id: int) -> None:
    """The recipient has read the message (the first read time is kept)."""
    message = _message_in_couple(session, couple=couple, message_id=message_id)
    if message.recipient_id != user.id:
        raise RecipientOnly(N_("Only the recipient can mark a message read."))
    if message.read_at is None:
        message.read_at = now()
        session.commit()


def react(
    session: Session, *, couple: Couple, user: User, message_id: int, emoji: str
) -> AffirmationMessage:
    """The recipient answers with one emoji (replacing an earlier one); reacting reads it."""
    message = _message_in_couple(session, couple=couple, message_id=message_id)
    if message.recipient_id != user.id:
        raise RecipientOnly(N_("Only the recipient can react to a message."))
    message.reaction = emoji
    if message.read_at is None:
        message.read_at = now()
    session.commit()
    return message


def add_gratitude(
    session: Session, *, couple: Couple, author: User, text: str, client_id: str
) -> tuple[GratitudeEntry, bool]:
    """Add to the couple's gratitude list; (entry, created)."""
    existing = _replayed(
        session, GratitudeEntry.author_id, couple=couple, client_id=client_id, user=author
    )
    if existing is not None:
        return existing, False
    entry = GratitudeEntry(
        couple_id=couple.id, author_id=author.id, text=text, client_id=client_id, created_at=now()
    )
    session.add(entry)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return add_gratitude(session, couple=couple, author=author, text=text, client_id=client_id)
    return entry, True


def list_gratitude(session: Session, *, couple: Couple, limit: int, cursor: str | None) -> Page:
    """One page of the couple's gratitude list, newest first."""
    stmt = select(GratitudeEntry).where(GratitudeEntry.couple_id == couple.id)
    return paginate(session, stmt, key=GratitudeEntry.id, limit=limit, cursor=cursor)


def delete_gratitude(session: Session, *, couple: Couple, user: User, entry_id: int) -> None:
    """Delete an entry of the couple's list; only its author may."""
    entry = session.scalar(
        select(GratitudeEntry).where(
            GratitudeEntry.id == entry_id, GratitudeEntry.couple_id == couple.id
        )
    )
    if entry is None:
        raise NotFound(N_("No such gratitude entry."))
    if entry.author_id != user.id:
        raise AuthorOnly(N_("Only the author can delete this entry."))
    session.delete(entry)
    session.commit()
