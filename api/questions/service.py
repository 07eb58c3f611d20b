"""Use cases of the daily question: today's question, answers and the reveal, swap, history."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency
from api.clock import now
from api.content.loader import FALLBACK_LOCALE, content_language
from api.db_json import as_instant, decode, json_rows
from api.db_utils import execute_core, insert_ignore, unique_violation
from api.errors import Conflict, NotFound
from api.i18n import N_, translate
from api.lifecycle import user_erasing
from api.notifications.models import Notification
from api.notifications.service import notify
from api.pagination import Page, PagedSelect, by_id, fetch_rows, paged
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion, EarlierAnswerClientId, Question, QuestionAnswer
from api.streaks.days import couple_current_day, lasting_day, lasting_params
from api.users.models import User
from api.users.service import lock_own_account

# The depth of each weekday's question (Monday first): light on busy days, deeper most
# evenings, the deep one on Saturday when there is time for it.
WEEK_DEPTHS = ("light", "deeper", "light", "deeper", "light", "deep", "deeper")
CATEGORY = "daily_question"

ANSWERED_TITLE = N_("Today's question")
ANSWERED_BODY = N_("%(name)s answered today's question: answer to see theirs")
# Yesterday's question is still open in the morning: its push must not point to today's.
ANSWERED_YESTERDAY_TITLE = N_("Yesterday's question")
ANSWERED_YESTERDAY_BODY = N_("%(name)s answered yesterday's question: answer to see theirs")
REVEALED_TITLE = N_("You both answered")
REVEALED_BODY = N_("Your answers are revealed: see what %(name)s said.")
PARTNER = N_("Your partner")


class EmptyLibrary(NotFound):
    title = N_("No questions")


class QuestionNotFound(NotFound):
    title = N_("No such question")


class PartnerAnswered(Conflict):
    title = N_("Your partner has answered")


class QuestionClosed(Conflict):
    title = N_("This question is closed")


class SwapRefused(Conflict):
    title = N_("Cannot swap today's question")


class NotRevealed(Conflict):
    title = N_("Not revealed yet")


@dataclass(frozen=True)
class LibraryText:
    """A library question as one reader reads it."""

    slug: str
    text: str
    depth: str
    category: str
    locale: str


@dataclass(frozen=True)
class AnswerView:
    """An answer as the reader may see it (the reaction is the other partner's emoji)."""

    text: str
    created_at: datetime
    updated_at: datetime
    reaction: str | None


@dataclass(frozen=True)
class QuestionView:
    """A couple's question of one day, as one partner sees it."""

    id: int
    local_date: date
    question: LibraryText
    my_answer: AnswerView | None
    partner_answered: bool
    # Only once both have answered: the one rule this whole feature rests on.
    partner_answer: AnswerView | None
    revealed_at: datetime | None
    can_swap: bool


# -- choosing the day's question ------------------------------------------------------------


def _order_key(couple_id: int, cycle: int, slug: str) -> bytes:
    """The couple's own order of the library in one cycle: a keyed hash, the same everywhere."""
    return hashlib.sha256(f"{couple_id}:{cycle}:{slug}".encode()).digest()


def choose(
    session: Session, *, couple_id: int, day: date, exclude: Iterable[str] = ()
) -> tuple[str, str, int]:
    """(slug, depth, cycle) of the question for the couple's day: next unasked, in their order."""
    library = dict(
        session.execute(
            select(Question.slug, Question.depth).where(
                Question.locale == FALLBACK_LOCALE, Question.retired_at.is_(None)
            )
        ).all()
    )
    if not library:
        raise EmptyLibrary(N_("The question library is empty."))
    excluded = set(exclude)
    earlier = (CoupleQuestion.couple_id == couple_id, CoupleQuestion.local_date != day)
    cycle = session.scalar(select(func.max(CoupleQuestion.cycle)).where(*earlier)) or 1
    asked = {
        slug
        for row in session.execute(
            select(CoupleQuestion.slug, CoupleQuestion.swapped_from).where(
                *earlier, CoupleQuestion.cycle == cycle
            )
        )
        for slug in row
        if slug
    }
    remaining = {s: d for s, d in library.items() if s not in asked and s not in excluded}
    if not remaining:
        # Exhausted: a new pass, which never opens with the question of the day before.
        cycle += 1
        last = session.scalar(
            select(CoupleQuestion.slug)
            .where(*earlier)
            .order_by(CoupleQuestion.local_date.desc())
            .limit(1)
        )
        remaining = {s: d for s, d in library.items() if s not in excluded and s != last}
        remaining = remaining or {s: d for s, d in library.items() if s not in excluded}
        if not remaining:
            raise EmptyLibrary(N_("The question library has no other question."))
    wanted = WEEK_DEPTHS[day.weekday()]
    # The weekday's depth while it lasts in this cycle, else whatever depth is left.
    pool = [s for s, d in remaining.items() if d == wanted] or list(remaining)
    slug = min(pool, key=lambda s: _order_key(couple_id, cycle, s))
    return slug, remaining[slug], cycle


def day_question(session: Session, *, couple: Couple, day: date) -> CoupleQuestion:
    """The couple's question of ``day``, chosen on first read; racing first reads get one row."""
    stmt = select(CoupleQuestion).where(
        CoupleQuestion.couple_id == couple.id, CoupleQuestion.local_date == day
    )
    found = session.scalar(stmt)
    if found is not None:
        return found
    slug, depth, cycle = choose(session, couple_id=couple.id, day=day)
    # ON CONFLICT DO NOTHING on (couple_id, local_date): whoever inserts first decides.
    insert_ignore(
        session,
        CoupleQuestion,
        {
            "couple_id": couple.id,
            "local_date": day,
            "slug": slug,
            "depth": depth,
            "cycle": cycle,
            "created_at": now(),
        },
        conflict_on=["couple_id", "local_date"],
    )
    session.commit()
    return session.scalars(stmt).one()


# -- reading -----------------------------------------------------------------------------------


def _answer_view(answer: Any) -> AnswerView:
    return AnswerView(answer.text, answer.created_at, answer.updated_at, answer.reaction)


def _question_view(
    q: Any, answers: Sequence[Any], text: Any, *, user: User, today: date
) -> QuestionView:
    """One question as user sees it, from its columns, its answers' and its library text's."""
    mine = next((a for a in answers if a.user_id == user.id), None)
    theirs = next((a for a in answers if a.user_id != user.id), None)
    return QuestionView(
        id=q.id,
        local_date=q.local_date,
        question=LibraryText(q.slug, text.text, text.depth, text.category, text.locale),
        my_answer=_answer_view(mine) if mine else None,
        partner_answered=theirs is not None,
        # Both answers exist, or nothing of the partner's is shown.
        partner_answer=_answer_view(theirs) if mine and theirs else None,
        revealed_at=q.revealed_at if mine and theirs else None,
        # Only today's (the lasting day's: after a move west, never the day before it).
        can_swap=q.local_date >= today and q.swapped_from is None and not answers,
    )


class _Answer(NamedTuple):
    """An answer's shown columns, from the view statement's JSON column."""

    user_id: int
    text: str
    created_at: datetime
    updated_at: datetime
    reaction: str | None


class _Text(NamedTuple):
    """A library text's shown columns, from the view statement's JSON column."""

    locale: str
    text: str
    depth: str
    category: str


_QUESTIONS = CoupleQuestion.__table__.c
_ANSWERS = QuestionAnswer.__table__.c
_LIBRARY = Question.__table__.c


def _view_columns(dialect: str) -> list[Any]:
    """What a question's view shows, as one SELECT's columns: the question's own, its answers
    and its texts in the bound ``locale`` and English as JSON columns (api/db_json.py), and the
    couple's lasting day as ``today`` (lasting_day's bound parameters). Table columns, no ORM
    entity: one round trip, not four.
    """
    answers = json_rows(
        dialect,
        [
            _ANSWERS.user_id,
            _ANSWERS.text,
            _ANSWERS.created_at,
            _ANSWERS.updated_at,
            _ANSWERS.reaction,
        ],
        _ANSWERS.couple_question_id == _QUESTIONS.id,
        own=[QuestionAnswer.__table__],
    )
    texts = json_rows(
        dialect,
        [_LIBRARY.locale, _LIBRARY.text, _LIBRARY.depth, _LIBRARY.category],
        _LIBRARY.slug == _QUESTIONS.slug,
        _LIBRARY.locale.in_([bindparam("locale"), FALLBACK_LOCALE]),
        own=[Question.__table__],
    )
    return [
        _QUESTIONS.id,
        _QUESTIONS.local_date,
        _QUESTIONS.slug,
        _QUESTIONS.swapped_from,
        _QUESTIONS.revealed_at,
        answers.label("answers"),
        texts.label("texts"),
        # Uncorrelated: the database computes it once per statement, not once per row.
        lasting_day().label("today"),
    ]


def _view_params(couple: Couple, user: User, moment: datetime) -> dict[str, Any]:
    """The bound parameters every view statement takes: lasting_params and the reader's locale."""
    return {**lasting_params(couple, moment), "locale": content_language(user.locale)}


def _row_view(row: Row[Any], *, user: User, locale: str) -> QuestionView:
    """One question as user sees it, from a row of _view_columns read in ``locale``."""
    answers = [
        _Answer(user_id, text, as_instant(created_at), as_instant(updated_at), reaction)
        for user_id, text, created_at, updated_at, reaction in decode(row.answers)
    ]
    texts = [_Text(*text) for text in decode(row.texts)]
    # In the reader's language, else in English (a day's slug is drawn from the English
    # library: it always has that text, retired or not).
    text = next((t for t in texts if t.locale == locale), None) or texts[0]
    return _question_view(row, answers, text, user=user, today=row.today)


@functools.cache
def _today_statement(dialect: str) -> Select[Any]:
    """today's SELECT, built once per dialect: the question of the couple's lasting day with
    what its view shows (_view_columns; bound: _view_params)."""
    return select(*_view_columns(dialect)).where(
        _QUESTIONS.couple_id == bindparam("couple_id"), _QUESTIONS.local_date == lasting_day()
    )


def today(session: Session, *, couple: Couple, user: User) -> QuestionView:
    """The couple's question of today (their zone and day_starts_at), as user sees it.

    Today's question is the couple's day's, or a later day's that already has one (_current's
    rule, in one statement with what the view shows); the day's first read chooses it.
    """
    moment = now()
    params = _view_params(couple, user, moment)
    row = execute_core(session, _today_statement(session.get_bind().dialect.name), params).first()
    if row is None:
        # The day's first read. This COMMIT (of nothing) ends the read's autocommit (GET is
        # @read_only, api/read_only.py): the choice and its INSERT run in a transaction.
        session.commit()
        # The lasting day may be a later one another domain lived (a mood).
        day = couple_current_day(session, couple, moment)
        current = day_question(session, couple=couple, day=day)
        return view(session, current, couple=couple, user=user)
    return _row_view(row, user=user, locale=params["locale"])


@functools.cache
def _latest_statement() -> Select[tuple[CoupleQuestion]]:
    """The couple's question of its lasting day (lasting_day's bound parameters); built once."""
    return select(CoupleQuestion).where(
        CoupleQuestion.couple_id == bindparam("couple_id"),
        CoupleQuestion.local_date == lasting_day(),
    )


def _current(session: Session, couple: Couple) -> CoupleQuestion:
    """Today's question: the couple's day's, or a later day's that already has one.

    A move west (or a later day start) takes the couple's day back by one. Their day's
    question then lasts longer instead of the day before coming back (lasting_day): no
    answered question shows again as today's, no skipped day gets a new one.
    """
    moment = now()
    latest = session.scalar(_latest_statement(), lasting_params(couple, moment))
    if latest is not None:
        return latest
    # The day's first read: the lasting day may be a later one another domain lived (a mood).
    day = couple_current_day(session, couple, moment)
    return day_question(session, couple=couple, day=day)


@functools.cache
def _in_couple_statement(lock: bool) -> Select[tuple[CoupleQuestion]]:
    """The question by ``question_id`` in the couple ``couple_id`` (bound), built once."""
    stmt = select(CoupleQuestion).where(
        CoupleQuestion.id == bindparam("question_id"),
        CoupleQuestion.couple_id == bindparam("couple_id"),
    )
    if lock:
        # Serialises the answers of one question: the reveal is decided under this lock.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return stmt


def _in_couple(
    session: Session, *, couple: Couple, question_id: int, lock: bool = False
) -> CoupleQuestion:
    params = {"question_id": question_id, "couple_id": couple.id}
    question = session.scalar(_in_couple_statement(lock), params)
    if question is None:
        raise QuestionNotFound(N_("No such question."))
    return question


@functools.cache
def _one_statement(dialect: str) -> Select[Any]:
    """get's SELECT, built once per dialect: the question ``question_id`` of the couple with
    what its view shows (_view_columns; bound: _view_params)."""
    return select(*_view_columns(dialect)).where(
        _QUESTIONS.id == bindparam("question_id"),
        _QUESTIONS.couple_id == bindparam("couple_id"),
    )


def get(session: Session, *, couple: Couple, user: User, question_id: int) -> QuestionView:
    """One of the couple's questions by id."""
    params = {**_view_params(couple, user, now()), "question_id": question_id}
    row = execute_core(session, _one_statement(session.get_bind().dialect.name), params).first()
    if row is None:
        raise QuestionNotFound(N_("No such question."))
    return _row_view(row, user=user, locale=params["locale"])


def view(session: Session, question: CoupleQuestion, *, couple: Couple, user: User) -> QuestionView:
    """One question as user sees it, read as it stands (after a write: its answers, today)."""
    return get(session, couple=couple, user=user, question_id=question.id)


@functools.cache
def _history_statement(dialect: str) -> PagedSelect:
    """history's SELECT, built once per dialect: the couple's days before its lasting day with
    what their views show (_view_columns; bound: _view_params)."""
    # Before the lasting day: after a move west the day already lived before it is past too.
    stmt = select(*_view_columns(dialect)).where(
        _QUESTIONS.couple_id == bindparam("couple_id"), _QUESTIONS.local_date < lasting_day()
    )
    return paged(stmt, by_id(_QUESTIONS.id))


def history(
    session: Session, *, couple: Couple, user: User, limit: int, cursor: str | None
) -> Page:
    """The couple's past days, newest first, with both answers where revealed (one SELECT)."""
    params = _view_params(couple, user, now())
    statement = _history_statement(session.get_bind().dialect.name)

    def make(row: Row[Any]) -> QuestionView:
        return _row_view(row, user=user, locale=params["locale"])

    return fetch_rows(session, statement, params, make, limit=limit, cursor=cursor)


# -- writing -----------------------------------------------------------------------------------


def _name(user: User, reader: User | None) -> str:
    locale = reader.locale if reader else None
    return user.display_name or translate(locale, PARTNER)


def answer(
    session: Session,
    *,
    couple: Couple,
    user: User,
    question_id: int,
    text: str,
    client_id: str,
    retried: bool = False,
) -> tuple[QuestionView, bool]:
    """Answer (or edit the answer to) today's or yesterday's question; (view, created)."""
    lock_own_account(session, user)  # an erasure under way: waited for, then 401
    question = _in_couple(session, couple=couple, question_id=question_id, lock=True)
    answers = session.scalars(
        select(QuestionAnswer).where(QuestionAnswer.couple_question_id == question.id)
    ).all()
    mine = next((a for a in answers if a.user_id == user.id), None)
    theirs = next((a for a in answers if a.user_id != user.id), None)
    if mine is not None and mine.client_id == client_id and mine.text == text:
        # A retry of the write that made this answer: the original, whatever happened since.
        session.commit()
        return view(session, question, couple=couple, user=user), False
    # A client_id is one write of one partner (api/idempotency.py): not the partner's, nor one
    # of the caller's answers to another day's question (409). An earlier write of this answer
    # retried late must not undo the edits since: it answers as a replay, with the answer as
    # it stands.
    if (mine is None or mine.client_id != client_id) and _used_client_id(
        session, couple=couple, user=user, question=question, client_id=client_id
    ):
        session.commit()
        return view(session, question, couple=couple, user=user), False
    moment = now()
    # Today's and yesterday's, by the lasting day (after a move west, the day before the new
    # zone's day can be two days ago already).
    current = couple_current_day(session, couple, moment)
    if question.local_date < current - timedelta(days=1):
        session.rollback()
        raise QuestionClosed(N_("Only today's and yesterday's questions can be answered."))
    if mine is not None and theirs is not None:
        session.rollback()
        raise PartnerAnswered(N_("Your partner has answered: your answer is final now."))
    created = mine is None
    if mine is None:
        session.add(
            QuestionAnswer(
                couple_question_id=question.id,
                couple_id=couple.id,
                user_id=user.id,
                text=text,
                client_id=client_id,
                created_at=moment,
                updated_at=moment,
            )
        )
    else:
        if mine.client_id != client_id:
            # Kept so that a late retry of the write this edit replaces replays, nothing more.
            session.add(
                EarlierAnswerClientId(
                    couple_id=couple.id, client_id=mine.client_id, answer_id=mine.id
                )
            )
        mine.text, mine.client_id, mine.updated_at = text, client_id, moment
    try:
        # Flushed here, before anything reads (and autoflushes): the unique keys decide a race.
        session.flush()
    except IntegrityError as exc:
        if not unique_violation(exc) or retried:
            raise
        # Another write under these keys committed meanwhile (the same retry sent twice, the
        # partner's client_id, an answer to another question): where the question's row lock
        # does not serialise writers (SQLite), answer once more against what is committed now,
        # which is then a replay, an edit or a 409, never this error.
        session.rollback()
        return answer(
            session,
            couple=couple,
            user=user,
            question_id=question_id,
            text=text,
            client_id=client_id,
            retried=True,
        )
    partner_id = couple.partner_of(user.id)
    if created and partner_id is not None:
        partner = session.get(User, partner_id)
        if theirs is None:
            # Against the lasting day (today's question, _current): after a move west,
            # couple_today is the day before it, whose question is yesterday's.
            yesterday = question.local_date < current
            _push_answered(session, question, answerer=user, partner=partner, yesterday=yesterday)
        else:
            question.revealed_at = moment
            _push_revealed(session, question, user, partner)
    session.commit()
    return view(session, question, couple=couple, user=user), created


def _used_client_id(
    session: Session, *, couple: Couple, user: User, question: CoupleQuestion, client_id: str
) -> bool:
    """Whether client_id is an earlier write of user's answer to question; 409 if another's.

    Another's: the partner's, or the caller's answer to another question. Earlier writes
    include those an edit has replaced since (EarlierAnswerClientId).
    """
    earlier = select(EarlierAnswerClientId.answer_id).where(
        EarlierAnswerClientId.couple_id == couple.id,
        EarlierAnswerClientId.client_id == client_id,
    )
    used = session.execute(
        select(QuestionAnswer.user_id, QuestionAnswer.couple_question_id).where(
            QuestionAnswer.couple_id == couple.id,
            or_(QuestionAnswer.client_id == client_id, QuestionAnswer.id.in_(earlier)),
        )
    ).first()
    if used is None:
        return False
    if used.user_id == user.id and used.couple_question_id == question.id:
        return True
    session.rollback()
    raise idempotency.ClientIdTaken(
        idempotency.PARTNERS
        if used.user_id != user.id
        else N_("This client_id was used for an answer to another question.")
    )


def _data(question: CoupleQuestion, event: str, actor: User) -> dict[str, str]:
    # Ids only: the app fetches the question; an answer never travels in a push.
    return {
        "event": event,
        "question_id": str(question.id),
        "local_date": question.local_date.isoformat(),
        # Whose name the push shows: erasing that account deletes the push (see below).
        "actor_id": str(actor.id),
    }


def _push_answered(
    session: Session,
    question: CoupleQuestion,
    *,
    answerer: User,
    partner: User | None,
    yesterday: bool,
) -> None:
    if partner is None:
        return
    locale = partner.locale
    title, body = (
        (ANSWERED_YESTERDAY_TITLE, ANSWERED_YESTERDAY_BODY)
        if yesterday
        else (ANSWERED_TITLE, ANSWERED_BODY)
    )
    notify(
        session,
        recipient_id=partner.id,
        couple_id=question.couple_id,
        category=CATEGORY,
        title=translate(locale, title),
        body=translate(locale, body, name=_name(answerer, partner)),
        data=_data(question, "question_answered", answerer),
        dedupe_key=f"question-answered:{question.id}:{partner.id}",
    )


def _push_revealed(
    session: Session, question: CoupleQuestion, second: User, first: User | None
) -> None:
    if first is None:
        return
    for reader, other in ((first, second), (second, first)):
        notify(
            session,
            recipient_id=reader.id,
            couple_id=question.couple_id,
            category=CATEGORY,
            title=translate(reader.locale, REVEALED_TITLE),
            body=translate(reader.locale, REVEALED_BODY, name=_name(other, reader)),
            data=_data(question, "question_revealed", other),
            dedupe_key=f"question-revealed:{question.id}:{reader.id}",
        )


def swap(session: Session, *, couple: Couple, user: User) -> QuestionView:
    """Trade today's question for another, once a day and only while nobody has answered."""
    current = _current(session, couple)
    day = current.local_date
    try:
        question = _in_couple(session, couple=couple, question_id=current.id, lock=True)
    except QuestionNotFound:
        # A racing swap replaced it while this one waited for the lock.
        session.rollback()
        raise SwapRefused(N_("Today's question was already swapped once.")) from None
    answered = session.scalar(
        select(func.count())
        .select_from(QuestionAnswer)
        .where(QuestionAnswer.couple_question_id == question.id)
    )
    if answered:
        session.rollback()
        raise SwapRefused(N_("Someone has answered today's question: it stays."))
    if question.swapped_from is not None:
        session.rollback()
        raise SwapRefused(N_("Today's question was already swapped once."))
    try:
        slug, depth, cycle = choose(session, couple_id=couple.id, day=day, exclude={question.slug})
    except EmptyLibrary:
        session.rollback()
        raise SwapRefused(N_("The library has no other question to offer.")) from None
    # A new row, not a new slug on the old one: the id names the question, so an answer a
    # phone still sends to the old id must not land on the new question (it finds no question).
    gone = session.execute(delete(CoupleQuestion).where(CoupleQuestion.id == question.id)).rowcount
    if not gone:
        # Where the row lock does not serialise swaps (SQLite), the other one got there first.
        session.rollback()
        raise SwapRefused(N_("Today's question was already swapped once."))
    replacement = CoupleQuestion(
        couple_id=couple.id,
        local_date=day,
        slug=slug,
        depth=depth,
        cycle=cycle,
        swapped_from=question.slug,
        created_at=now(),
    )
    session.add(replacement)
    session.commit()
    return view(session, replacement, couple=couple, user=user)


def react(
    session: Session, *, couple: Couple, user: User, question_id: int, emoji: str
) -> QuestionView:
    """React with one emoji to the partner's revealed answer (replacing an earlier one)."""
    question = _in_couple(session, couple=couple, question_id=question_id)
    answers = session.scalars(
        select(QuestionAnswer).where(QuestionAnswer.couple_question_id == question.id)
    ).all()
    mine = next((a for a in answers if a.user_id == user.id), None)
    theirs = next((a for a in answers if a.user_id != user.id), None)
    if mine is None or theirs is None:
        raise NotRevealed(N_("You can react once both of you have answered."))
    theirs.reaction = emoji
    session.commit()
    return view(session, question, couple=couple, user=user)


# -- lifecycle ---------------------------------------------------------------------------------


@user_erasing.connect
def _erase_answers(user: User, *, session: Session, **_: Any) -> None:
    """An erased account's answers go at once, with its reactions and the pushes naming it."""
    session.execute(delete(QuestionAnswer).where(QuestionAnswer.user_id == user.id))
    # The reactions it left are on its partners' answers, in the couples it was part of.
    couples = select(Couple.id).where(or_(Couple.user_a_id == user.id, Couple.user_b_id == user.id))
    session.execute(
        update(QuestionAnswer)
        .where(
            QuestionAnswer.couple_question_id.in_(
                select(CoupleQuestion.id).where(CoupleQuestion.couple_id.in_(couples))
            ),
            QuestionAnswer.reaction.is_not(None),
        )
        .values(reaction=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Notification).where(
            Notification.recipient_id != user.id,
            Notification.category == CATEGORY,
            Notification.data["actor_id"].as_string() == str(user.id),
        )
    )
