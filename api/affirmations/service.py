"""Use cases of affirmations: the library, today's suggestion, messages, the gratitude list."""

from __future__ import annotations

import base64
import functools
import json
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from api import i18n, idempotency
from api.affirmations.models import (
    Affirmation,
    AffirmationMessage,
    AffirmationText,
    DailySuggestion,
    GratitudeEntry,
)
from api.clock import now
from api.content.loader import FALLBACK_LOCALE, content_language
from api.db_utils import execute_core, unique_violation
from api.errors import Conflict, DomainError, Invalid, NotFound, RateLimited
from api.i18n import N_
from api.ids import is_row_id, max_id
from api.lifecycle import user_erasing
from api.notifications.service import notify
from api.pagination import (
    Page,
    PagedSelect,
    by_id,
    fetch_rows,
    not_a_cursor,
    paged,
    read_cursor,
)
from api.pairing.models import Couple
from api.quotas import service as quotas
from api.streaks.days import couple_current_day, later_day, seconds_until_next_day
from api.tombstones import service as tombstones
from api.users.models import User
from api.users.service import lock_own_account


class EmptyLibrary(NotFound):
    title = N_("No affirmations")


class RecipientOnly(DomainError):
    status = 403
    title = N_("Only the recipient can do this")


class AuthorOnly(DomainError):
    status = 403
    title = N_("Only the author can delete this entry")


class DailyLimit(RateLimited):
    title = N_("Daily limit reached")


class TooManyEntries(Conflict):
    title = N_("Too many gratitude entries")


# Abuse limits (README "Quotas"): a sender's affirmations pushed per couple-day (more go to the
# inbox without a push), messages per couple-day, gratitude entries per day and kept.
PUSHED_AFFIRMATIONS_PER_DAY = 20
AFFIRMATIONS_PER_DAY = 200
GRATITUDE_PER_DAY = 50
GRATITUDE_PER_AUTHOR = 1000


@dataclass(frozen=True)
class LibraryItem:
    """An affirmation as one reader sees it: its one id, and its words in their locale."""

    id: int
    slug: str
    category: str
    locale: str
    text: str


def _live_text(alias: type[AffirmationText], locale: str) -> ColumnElement[bool]:
    return and_(
        alias.affirmation_id == Affirmation.id,
        alias.locale == locale,
        alias.retired_at.is_(None),
    )


@functools.cache
def _library(locale: str) -> tuple[Select[Any], ColumnElement[int]]:
    """The live library in locale (en words where it has none) and its rank: 0 translated.

    Built once per locale: the aliased joins cost more to build than the SELECT to run.
    """
    own = aliased(AffirmationText)
    columns = (Affirmation.id, Affirmation.slug, Affirmation.category)
    if locale == FALLBACK_LOCALE:
        rank: ColumnElement[int] = literal(0)
        stmt = select(*columns, own.locale, own.text).join(own, _live_text(own, locale))
    else:
        fallback = aliased(AffirmationText)
        rank = case((own.id.is_(None), 1), else_=0)
        stmt = (
            select(
                *columns,
                func.coalesce(own.locale, fallback.locale).label("locale"),
                func.coalesce(own.text, fallback.text).label("text"),
            )
            .outerjoin(own, _live_text(own, locale))
            .outerjoin(fallback, _live_text(fallback, FALLBACK_LOCALE))
            .where(or_(own.id.is_not(None), fallback.id.is_not(None)))
        )
    return stmt.where(Affirmation.retired_at.is_(None)), rank


def _item(row: Any) -> LibraryItem:
    return LibraryItem(id=row[0], slug=row[1], category=row[2], locale=row[3], text=row[4])


@functools.cache
def _library_page_statement(locale: str, *, by_category: bool, after: bool) -> Select[Any]:
    """A library page's SELECT, built once per locale and filter; bound parameters: ``limit``,
    ``category`` (when by_category), ``after_rank`` and ``after_id`` (when after)."""
    stmt, rank = _library(locale)
    if by_category:
        stmt = stmt.where(Affirmation.category == bindparam("category"))
    # Within each group oldest first, unlike the feeds: the library reads in its files' order.
    if after:
        after_rank, after_id = bindparam("after_rank"), bindparam("after_id")
        stmt = stmt.where(
            or_(rank > after_rank, and_(rank == after_rank, Affirmation.id > after_id))
        )
    return stmt.add_columns(rank).order_by(rank, Affirmation.id).limit(bindparam("limit"))


def list_library(
    session: Session, *, user: User, category: str | None, limit: int, cursor: str | None
) -> Page:
    """One page of the library in the user's locale: translated items first, then en ones."""
    statement = _library_page_statement(
        content_language(user.locale), by_category=category is not None, after=cursor is not None
    )
    params: dict[str, Any] = {"category": category, "limit": limit + 1}
    if cursor is not None:
        params["after_rank"], params["after_id"] = _decode_library_cursor(cursor)
    page = list(execute_core(session, statement, params))
    more = len(page) > limit
    page = page[:limit]
    next_cursor = _encode_library_cursor(page[-1][5], page[-1][0]) if more else None
    return Page(items=[_item(row) for row in page], next_cursor=next_cursor)


def _encode_library_cursor(rank: int, last_id: int) -> str:
    raw = json.dumps({"after": last_id, "rank": int(rank)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_library_cursor(cursor: str) -> tuple[int, int]:
    data = read_cursor(cursor)
    rank, after = data.get("rank"), data.get("after")
    if rank not in (0, 1) or not is_row_id(after, maximum=max_id(Affirmation.id)):
        raise not_a_cursor()
    return rank, after


@functools.cache
def _in_locale_statement(locale: str) -> Select[Any]:
    """The library item by ``id`` (a bound parameter) in locale, built once per locale."""
    stmt, _rank = _library(locale)
    return stmt.where(Affirmation.id == bindparam("id"))


@functools.cache
def _suggestion_day() -> ColumnElement[date]:
    """SQL for the user's suggestion day: the calendar day, never before a day already shown.

    The suggestion's day is the user's own (midnight in the user's zone, not the couple's day):
    after a move west the calendar goes back by one, and the suggestion of the latest day the
    user was shown one lasts (as the couple's lasting day does) instead of yesterday's coming
    back. Bound ``user_id`` and ``day`` (the calendar day now).
    """
    return later_day([(DailySuggestion.user_id, DailySuggestion.local_date)], owner="user_id")


@functools.cache
def _daily_statement(locale: str) -> Select[Any]:
    """The library item of the user's suggestion of the day (bound ``user_id`` and ``day``).

    The day is _suggestion_day's. The library's join is _slugs' condition too (live, with words
    in locale or en): a row here is what daily's three statements return when the day's pick
    is still in the library.
    """
    stmt, _rank = _library(locale)
    return stmt.join(DailySuggestion, DailySuggestion.slug == Affirmation.slug).where(
        DailySuggestion.user_id == bindparam("user_id"),
        DailySuggestion.local_date == _suggestion_day(),
    )


def in_locale(session: Session, *, affirmation: Affirmation, locale: str | None) -> LibraryItem:
    """The affirmation with its words in locale's language (en when not translated)."""
    statement = _in_locale_statement(content_language(locale))
    row = session.execute(statement, {"id": affirmation.id}).first()
    if row is None:  # retired meanwhile: its words still exist, whatever their state
        text = session.scalars(
            select(AffirmationText)
            .where(AffirmationText.affirmation_id == affirmation.id)
            .order_by((AffirmationText.locale != FALLBACK_LOCALE), AffirmationText.id)
        ).first()
        words, where = (text.text, text.locale) if text else ("", FALLBACK_LOCALE)
        return LibraryItem(affirmation.id, affirmation.slug, affirmation.category, where, words)
    return _item(row)


def _slugs(locale: str) -> Select[tuple[Affirmation]]:
    """The live affirmations a reader of locale has words for (their own, or en)."""
    readable = select(AffirmationText.affirmation_id).where(
        AffirmationText.retired_at.is_(None),
        AffirmationText.locale.in_({locale, FALLBACK_LOCALE}),
    )
    return select(Affirmation).where(Affirmation.retired_at.is_(None), Affirmation.id.in_(readable))


def daily(session: Session, *, user: User) -> LibraryItem:
    """Today's suggestion: stable for the user's local day, no repeat until the library is done.

    After a move west the day already shown lasts (_suggestion_day), not yesterday's again.
    """
    today = now().astimezone(ZoneInfo(user.timezone)).date()
    locale = content_language(user.locale)
    # Every read after the day's first: one statement.
    params = {"user_id": user.id, "day": today}
    row = execute_core(session, _daily_statement(locale), params).first()
    if row is not None:
        return _item(row)
    # The day's first read: this COMMIT (of nothing) ends the read's autocommit (GET is
    # @read_only, api/read_only.py), so the pick below and its INSERT are one transaction.
    session.commit()
    library = _slugs(locale)
    # The day's row, or a later day's (shown before a move west: that day lasts).
    chosen = session.scalar(
        select(DailySuggestion)
        .where(DailySuggestion.user_id == user.id, DailySuggestion.local_date >= today)
        .order_by(DailySuggestion.local_date.desc())
        .limit(1)
    )
    if chosen is not None:
        today = chosen.local_date
        item = session.scalar(library.where(Affirmation.slug == chosen.slug))
        if item is not None:
            return in_locale(session, affirmation=item, locale=user.locale)
        # Retired since this morning: today gets a fresh pick below.
    item, cycle = _pick(session, user_id=user.id, today=today, library=library)
    if chosen is None:
        session.add(DailySuggestion(user_id=user.id, local_date=today, slug=item.slug, cycle=cycle))
    else:
        chosen.slug, chosen.cycle = item.slug, cycle
    try:
        session.commit()
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        # A parallel request of the same user picked first; its choice is the day's.
        session.rollback()
        return daily(session, user=user)
    return in_locale(session, affirmation=item, locale=user.locale)


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
    existing = idempotency.replayed(
        session,
        AffirmationMessage.sender_id,
        couple_id=couple.id,
        client_id=client_id,
        user_id=sender.id,
    )
    if existing is not None:
        return existing, False
    lock_own_account(session, sender)  # before the quota's lock: erasure's order
    recipient_id = couple.partner_of(sender.id)
    if recipient_id is None:
        raise NotFound(N_("Your partner is no longer here."))
    affirmation = None
    if affirmation_id is not None:
        affirmation = session.get(Affirmation, affirmation_id)
        if affirmation is None or affirmation.retired_at is not None:
            raise Invalid("affirmation_id", N_("No such affirmation in the library."))
        # The words as the recipient reads them: the same affirmation, in their language.
        recipient = session.get(User, recipient_id)
        locale = recipient.locale if recipient is not None else None
        text = in_locale(session, affirmation=affirmation, locale=locale).text
    if text is None:
        raise Invalid("text", N_("Send either affirmation_id or text."))
    moment = now()
    # The lasting day: after a move west the day lived keeps its counts (and its push limit).
    today = couple_current_day(session, couple, moment)
    if not quotas.take(
        session,
        user_id=sender.id,
        scope=f"affirmation:couple:{couple.id}",
        day=today,
        limit=AFFIRMATIONS_PER_DAY,
    ):
        session.rollback()
        raise DailyLimit(
            N_("At most %(limit)s affirmations a day."),
            limit=AFFIRMATIONS_PER_DAY,
            retry_after=seconds_until_next_day(couple, moment, today),
        )
    # Past the push limit a message still reaches the inbox and the feed, without a push.
    pushed = quotas.take(
        session,
        user_id=sender.id,
        scope=f"affirmation-push:couple:{couple.id}",
        day=today,
        limit=PUSHED_AFFIRMATIONS_PER_DAY,
    )
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
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        # The same client_id raced in from a retry: answer with the message that won.
        session.rollback()
        return send(session, couple=couple, sender=sender, client_id=client_id, text=text)
    notify(
        session,
        recipient_id=recipient_id,
        couple_id=couple.id,
        category="affirmation",
        title=i18n.text(
            N_("%(name)s sent you an affirmation"),
            name=sender.display_name or i18n.text(N_("Your partner")),
        ),
        # Own words stay off the lock screen and out of push logs; library texts are not private.
        body=i18n.verbatim(text)
        if affirmation
        else i18n.text(N_("Open Hearth to read what they wrote.")),
        data={"event": "affirmation", "message_id": str(message.id)},
        dedupe_key=f"affirmation:{message.id}",
        push=pushed,
    )
    session.commit()
    return message, True


@dataclass(slots=True)
class LibraryRef:
    """The library affirmation a message came from, as MessageSchema shows it."""

    id: int
    slug: str
    category: str


@dataclass(slots=True)
class MessageView:
    """A message as the inbox answers it: the columns MessageSchema shows."""

    id: int
    sender_id: int | None
    recipient_id: int
    text: str
    client_id: str
    read_at: datetime | None
    reaction: str | None
    created_at: datetime
    affirmation: LibraryRef | None


_MESSAGES = AffirmationMessage.__table__.c
_AFFIRMATIONS = Affirmation.__table__


@functools.cache
def _inbox_statement(box: str) -> PagedSelect:
    """inbox's SELECT for box (received or sent) of the shown columns and the library item's
    (Core, no entity), built once: bound ``couple_id``, ``user_id``."""
    mine = (_MESSAGES.recipient_id if box == "received" else _MESSAGES.sender_id) == bindparam(
        "user_id"
    )
    stmt = (
        select(
            _MESSAGES.id,
            _MESSAGES.sender_id,
            _MESSAGES.recipient_id,
            _MESSAGES.text,
            _MESSAGES.client_id,
            _MESSAGES.read_at,
            _MESSAGES.reaction,
            _MESSAGES.created_at,
            _AFFIRMATIONS.c.id.label("affirmation_id"),
            _AFFIRMATIONS.c.slug,
            _AFFIRMATIONS.c.category,
        )
        .select_from(
            AffirmationMessage.__table__.outerjoin(
                _AFFIRMATIONS, _AFFIRMATIONS.c.id == _MESSAGES.affirmation_id
            )
        )
        .where(_MESSAGES.couple_id == bindparam("couple_id"), mine)
    )
    return paged(stmt, by_id(_MESSAGES.id))


def _message_view(row: Any) -> MessageView:
    # The outer join's columns are NULL for the sender's own words.
    ref = None if row[8] is None else LibraryRef(row[8], row[9], row[10])
    return MessageView(*row[:8], ref)


def inbox(
    session: Session, *, couple: Couple, user: User, box: str, limit: int, cursor: str | None
) -> Page:
    """One page of the messages the user received or sent in this couple, newest first."""
    statement = _inbox_statement("received" if box == "received" else "sent")
    params = {"couple_id": couple.id, "user_id": user.id}
    return fetch_rows(session, statement, params, _message_view, limit=limit, cursor=cursor)


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


# The tombstones' name for a deleted gratitude entry.
GRATITUDE = "gratitude"


def add_gratitude(
    session: Session, *, couple: Couple, author: User, text: str, client_id: str
) -> tuple[GratitudeEntry, bool]:
    """Add to the couple's gratitude list; (entry, created)."""
    existing = idempotency.replayed(
        session,
        GratitudeEntry.author_id,
        couple_id=couple.id,
        client_id=client_id,
        user_id=author.id,
    )
    if existing is not None:
        return existing, False
    if tombstones.buried(session, couple_id=couple.id, kind=GRATITUDE, client_id=client_id):
        raise NotFound(N_("No such gratitude entry."))  # a late replay: deleted since
    lock_own_account(session, author)  # before the quota's lock: erasure's order
    moment = now()
    today = couple_current_day(session, couple, moment)  # the lasting day, as every quota
    # The quota first: its row stays locked to the end of this transaction, so two entries of
    # the same author at once are counted one after the other (counted before it, both saw
    # 999 and the author kept 1,001). A refusal below rolls the quota's unit back with it.
    if not quotas.take(
        session,
        user_id=author.id,
        scope=f"gratitude:couple:{couple.id}",
        day=today,
        limit=GRATITUDE_PER_DAY,
    ):
        session.rollback()
        raise DailyLimit(
            N_("At most %(limit)s gratitude entries a day."),
            limit=GRATITUDE_PER_DAY,
            retry_after=seconds_until_next_day(couple, moment, today),
        )
    kept = session.scalar(
        select(func.count())
        .select_from(GratitudeEntry)
        .where(GratitudeEntry.couple_id == couple.id, GratitudeEntry.author_id == author.id)
    )
    if (kept or 0) >= GRATITUDE_PER_AUTHOR:
        session.rollback()
        raise TooManyEntries(
            N_("You keep %(limit)s entries already; delete some to add more."),
            limit=GRATITUDE_PER_AUTHOR,
        )
    entry = GratitudeEntry(
        couple_id=couple.id, author_id=author.id, text=text, client_id=client_id, created_at=now()
    )
    session.add(entry)
    try:
        session.commit()
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        session.rollback()
        return add_gratitude(session, couple=couple, author=author, text=text, client_id=client_id)
    return entry, True


@dataclass(slots=True)
class GratitudeView:
    """A gratitude entry as the list answers it: the columns GratitudeSchema shows."""

    id: int
    author_id: int | None
    text: str
    client_id: str
    created_at: datetime


_GRATITUDE = GratitudeEntry.__table__.c


@functools.cache
def _gratitude_statement() -> PagedSelect:
    """list_gratitude's SELECT of the shown columns (Core, no entity), built once: bound
    ``couple_id``."""
    stmt = select(
        _GRATITUDE.id,
        _GRATITUDE.author_id,
        _GRATITUDE.text,
        _GRATITUDE.client_id,
        _GRATITUDE.created_at,
    ).where(_GRATITUDE.couple_id == bindparam("couple_id"))
    return paged(stmt, by_id(_GRATITUDE.id))


def _gratitude_view(row: Any) -> GratitudeView:
    return GratitudeView(*row)


def list_gratitude(session: Session, *, couple: Couple, limit: int, cursor: str | None) -> Page:
    """One page of the couple's gratitude list, newest first."""
    params = {"couple_id": couple.id}
    return fetch_rows(
        session, _gratitude_statement(), params, _gratitude_view, limit=limit, cursor=cursor
    )


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
    tombstones.bury(session, couple_id=couple.id, kind=GRATITUDE, client_id=entry.client_id)
    session.delete(entry)
    session.commit()


@user_erasing.connect
def _erase_what_the_user_wrote(user: User, *, session: Session, **_: Any) -> None:
    """Erasure: the messages the user sent and the gratitude entries they wrote go at once.

    (What they received goes with their row, ON DELETE CASCADE.) Not left for the 30-day purge:
    an erased account leaves no text behind.
    """
    session.execute(delete(AffirmationMessage).where(AffirmationMessage.sender_id == user.id))
    session.execute(delete(GratitudeEntry).where(GratitudeEntry.author_id == user.id))
