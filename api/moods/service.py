"""Use cases of moods: write an entry (and tell the partner), today, history, weekly summary."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Float,
    Row,
    Select,
    bindparam,
    cast,
    delete,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency
from api.clock import now
from api.content.loader import content_language
from api.db_json import decode, json_rows
from api.db_utils import execute_core, unique_violation
from api.errors import Invalid
from api.i18n import N_, ntranslate, translate, verbatim
from api.lifecycle import user_erasing
from api.moods.models import MoodEntry, MoodNeed, Need
from api.moods.needs import FALLBACK_LOCALE, live_slugs
from api.notifications.models import Notification
from api.notifications.service import notify
from api.pagination import Page, PagedSelect, by_id, fetch_rows, paged
from api.pairing.models import Couple
from api.streaks.days import couple_current_day, lasting_day, lasting_params
from api.users.models import User

YOUR_PARTNER = N_("Your partner")
MORE_NEEDS = (
    N_("They named %(n)s more need: open Hearth to see it."),
    N_("They named %(n)s more needs: open Hearth to see them."),
)


def week_start(day: date) -> date:
    """The Monday of day's ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week(monday: date) -> str:
    """The ISO week label of a Monday: `2026-W10`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def create(
    session: Session,
    *,
    couple: Couple,
    user: User,
    mood: int,
    needs: list[str],
    note: str | None,
    client_id: str,
) -> tuple[MoodEntry, bool]:
    """Record how the user feels today; (entry, created). Needs push the partner once a day."""
    existing = idempotency.replayed(
        session, MoodEntry.user_id, couple_id=couple.id, client_id=client_id, user_id=user.id
    )
    if existing is not None:
        return existing, False
    if len(set(needs)) != len(needs):
        raise Invalid("needs", N_("Name each need once."))
    unknown = sorted(set(needs) - live_slugs(session)) if needs else []
    if unknown:
        raise Invalid("needs", N_("Unknown needs: %(needs)s."), needs=", ".join(unknown))
    instant = now()
    # After a move west the day already written lasts: never an entry for a day already lived.
    today = couple_current_day(session, couple, instant)
    entry = MoodEntry(
        couple_id=couple.id,
        user_id=user.id,
        local_date=today,
        week_start=week_start(today),
        mood=mood,
        note=note,
        client_id=client_id,
        created_at=instant,
        need_rows=[MoodNeed(slug=slug, position=i) for i, slug in enumerate(needs)],
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        # The same client_id raced in from a retry: answer with the entry that won.
        session.rollback()
        return create(
            session,
            couple=couple,
            user=user,
            mood=mood,
            needs=needs,
            note=note,
            client_id=client_id,
        )
    partner_id = couple.partner_of(user.id)
    if needs and partner_id is not None:
        _notify_partner(session, couple=couple, sender=user, partner_id=partner_id, entry=entry)
    session.commit()
    return entry, True


def _notify_partner(
    session: Session, *, couple: Couple, sender: User, partner_id: int, entry: MoodEntry
) -> None:
    """The partner's push, in their locale; the notification's unique key keeps it to one a day."""
    partner = session.get(User, partner_id)
    if partner is None:
        return
    first = entry.needs[0]
    need = _need_in(session, slug=first, locale=partner.locale)
    if need is None:  # retired between validation and now: nothing sensible to say
        return
    # The push is in one language: the need's words fall back to English where the partner's
    # language has none, and then the sentences around them follow (never German then English).
    language = need.locale
    name = sender.display_name or translate(language, YOUR_PARTNER)
    body = need.suggestion
    more = len(entry.needs) - 1
    if more:
        # Two whole sentences, each translated as a unit: never a glued fragment.
        body += "\n" + ntranslate(language, *MORE_NEEDS, more)
    notify(
        session,
        recipient_id=partner_id,
        couple_id=couple.id,
        category="mood",
        # Already in the partner's language: the wish and suggestion are content of their locale
        # (a whole sentence per need, {name} the wish's only slot), the rest came from translate().
        title=verbatim(need.wish.replace("{name}", name)),
        body=verbatim(body),  # never the note: it stays in the app
        data={"event": "mood", "entry_id": str(entry.id), "need": first},
        dedupe_key=f"mood:{couple.id}:{sender.id}:{entry.local_date.isoformat()}",
    )


def _need_in(session: Session, *, slug: str, locale: str | None) -> Need | None:
    """The live need slug in locale's language, else in English (one query)."""
    language = content_language(locale)
    rows = {
        row.locale: row
        for row in session.scalars(
            select(Need).where(
                Need.slug == slug,
                Need.retired_at.is_(None),
                Need.locale.in_({language, FALLBACK_LOCALE}),
            )
        )
    }
    return rows.get(language) or rows.get(FALLBACK_LOCALE)


@dataclass(slots=True)
class MoodView:
    """A mood entry as the reads answer it: its columns and its needs, in the order given."""

    id: int
    user_id: int
    local_date: date
    mood: int
    note: str | None
    client_id: str
    created_at: datetime
    needs: list[str]


_ENTRIES = MoodEntry.__table__.c
_NEEDS = MoodNeed.__table__.c


def _entry_columns(dialect: str) -> list[Any]:
    """An entry's columns and its needs as a JSON column ([[slug, position], ...]): one SELECT
    of table columns (Core), no ORM entity loaded, no second query for the needs."""
    needs = json_rows(
        dialect,
        [_NEEDS.slug, _NEEDS.position],
        _NEEDS.entry_id == _ENTRIES.id,
        own=[MoodNeed.__table__],
    )
    return [
        _ENTRIES.id,
        _ENTRIES.user_id,
        _ENTRIES.local_date,
        _ENTRIES.mood,
        _ENTRIES.note,
        _ENTRIES.client_id,
        _ENTRIES.created_at,
        needs,
    ]


def _mood_view(row: Any) -> MoodView:
    # The aggregate promises no order: the needs are sorted by position here.
    needs = decode(row[7])
    if len(needs) > 1:
        needs.sort(key=itemgetter(1))
    return MoodView(*row[:7], [slug for slug, _position in needs])


@functools.cache
def _today_statement(dialect: str) -> Select[Any]:
    """Each partner's latest entry of the couple's lasting day, built once per dialect
    (bound: lasting_params)."""
    latest = (
        select(func.max(_ENTRIES.id))
        .where(
            _ENTRIES.couple_id == bindparam("couple_id"),
            # The day entries are written for now: after a move west, the latest day lasts.
            _ENTRIES.local_date == lasting_day(),
        )
        .group_by(_ENTRIES.user_id)
    )
    return select(*_entry_columns(dialect)).where(_ENTRIES.id.in_(latest))


def today(session: Session, *, couple: Couple, user: User) -> dict[str, MoodView | None]:
    """Each partner's latest entry of the couple's day, with its needs (one query for the pair)."""
    params = lasting_params(couple, now())
    statement = _today_statement(session.get_bind().dialect.name)
    entries = {e.user_id: e for e in map(_mood_view, execute_core(session, statement, params))}
    partner_id = couple.partner_of(user.id)
    return {
        "me": entries.get(user.id),
        "partner": entries.get(partner_id) if partner_id is not None else None,
    }


@functools.cache
def _history_statement(dialect: str, one_partner: bool, since: bool, until: bool) -> PagedSelect:
    """history's SELECT, built once per dialect and filter.

    Bound parameters: ``couple_id``, and ``user_id``, ``from``, ``to`` for the filters given.
    """
    stmt = select(*_entry_columns(dialect)).where(_ENTRIES.couple_id == bindparam("couple_id"))
    if one_partner:
        stmt = stmt.where(_ENTRIES.user_id == bindparam("user_id"))
    if since:
        stmt = stmt.where(_ENTRIES.local_date >= bindparam("from", type_=Date))
    if until:
        stmt = stmt.where(_ENTRIES.local_date <= bindparam("to", type_=Date))
    return paged(stmt, by_id(_ENTRIES.id))


def history(
    session: Session,
    *,
    couple: Couple,
    user: User,
    who: str | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of the couple's entries, newest first; optionally one partner's, a date range.

    One SELECT: each entry's needs come as its JSON column.
    """
    # No partner (None) binds user_id = NULL: no entry, as user_id IS NULL found none.
    user_id = user.id if who == "me" else couple.partner_of(user.id)
    statement = _history_statement(
        session.get_bind().dialect.name,
        who in ("me", "partner"),
        date_from is not None,
        date_to is not None,
    )
    params = {"couple_id": couple.id, "user_id": user_id, "from": date_from, "to": date_to}
    return fetch_rows(session, statement, params, _mood_view, limit=limit, cursor=cursor)


@functools.cache
def _week_figures_statement() -> CompoundSelect[Any]:
    """summary's SELECT, built once: bound ``couple_id``, ``first`` and ``day``.

    Per (user, week) one row without a slug (entries, mean mood), and one row per need
    named (its count): both groupings in one round trip. Built per request, it was most of the
    summary's CPU. No upper bound: no entry is dated after the couple's lasting day, so none is
    in a later week. One more row, without a user, holds the lasting day (lasting_day): the
    summary's "this week" and its figures in one round trip. (The recap reads the same figures
    in its own UNION ALL, api/recaps/sections.py.)
    """
    in_range = [
        MoodEntry.couple_id == bindparam("couple_id"),
        MoodEntry.week_start >= bindparam("first", type_=Date),
    ]
    figures = (
        select(
            MoodEntry.user_id,
            MoodEntry.week_start,
            null().label("slug"),
            func.count(MoodEntry.id),
            # A float from the database: PostgreSQL's avg is numeric, a Decimal to convert.
            cast(func.avg(MoodEntry.mood), Float),
        )
        .where(*in_range)
        .group_by(MoodEntry.user_id, MoodEntry.week_start)
    )
    needs = (
        select(MoodEntry.user_id, MoodEntry.week_start, MoodNeed.slug, func.count(), null())
        .join(MoodNeed, MoodNeed.entry_id == MoodEntry.id)
        .where(*in_range)
        .group_by(MoodEntry.user_id, MoodEntry.week_start, MoodNeed.slug)
    )
    current = select(null(), lasting_day(), null(), null(), null())
    return union_all(figures, needs, current)


Figures = dict[tuple[int, date], dict[str, Any]]


def _gather(rows: Any) -> tuple[date | None, Figures]:
    """(the lasting day's row's day, or None; the figures) of _week_figures_statement's rows."""
    current: date | None = None
    out: Figures = {}
    for user_id, monday, slug, count, mean in rows:
        if user_id is None:  # the lasting day's row
            current = monday
            continue
        # A UNION ALL promises no order: a need's row may come before its week's figures.
        got = out.setdefault((user_id, monday), {"entries": 0, "mean_mood": None, "needs": {}})
        if slug is None:
            got["entries"], got["mean_mood"] = count, round(mean, 2)
        else:
            got["needs"][slug] = count
    return current, out


def summary(session: Session, *, couple: Couple, user: User, weeks: int) -> dict[str, Any]:
    """The last `weeks` ISO weeks in the couple's zone (this one included), per partner.

    One statement: the lasting day (this week) comes with the figures. It is never before the
    couple's today, so the weeks read from today's week back hold every week answered (a few
    more after a move west, not answered).
    """
    params = lasting_params(couple, now())
    params["first"] = week_start(params["day"]) - timedelta(weeks=weeks - 1)
    lasting, figures = _gather(execute_core(session, _week_figures_statement(), params))
    assert lasting is not None  # the row without a user is always there
    current = week_start(lasting)
    partner_id = couple.partner_of(user.id)
    people = [("me", user.id)] + ([("partner", partner_id)] if partner_id is not None else [])
    out = []
    for i in range(weeks):
        monday = current - timedelta(weeks=i)
        partners = []
        for who, user_id in people:
            got = figures.get((user_id, monday), {"entries": 0, "mean_mood": None, "needs": {}})
            partners.append({"who": who, "user_id": user_id, **got})
        out.append(
            {
                "week": iso_week(monday),
                "starts_on": monday,
                "ends_on": monday + timedelta(days=6),
                "partners": partners,
            }
        )
    return {"weeks": out}


@user_erasing.connect
def _erase_entries(sender: User, *, session: Session, **kwargs: Any) -> None:
    """Erasure removes the user's entries (and their needs) at once, notes included.

    The pushes those entries sent the partner name the user: they go too.
    """
    mine = select(MoodEntry.id).where(MoodEntry.user_id == sender.id)
    # Notification.data holds ids as strings (FCM data values are strings).
    entry_ids = [str(i) for i in session.scalars(mine)]
    if entry_ids:
        session.execute(
            delete(Notification).where(
                Notification.category == "mood",
                Notification.data["entry_id"].as_string().in_(entry_ids),
            ),
            execution_options={"synchronize_session": False},
        )
    session.execute(delete(MoodNeed).where(MoodNeed.entry_id.in_(mine)))
    session.execute(delete(MoodEntry).where(MoodEntry.user_id == sender.id))


def get_vocabulary(session: Session, *, user: User) -> list[Row[Any]]:
    """The needs vocabulary in the user's locale."""
    from api.moods.needs import vocabulary

    return vocabulary(session, locale=user.locale)
