"""The recap's sections: each computes its part for a run of weeks in a fixed number of queries.

A section takes a `RecapQuery` (the couple and its weeks, oldest first) and returns its part
per week, keyed by the week's Monday. Reading one week or a page of fifty costs the same
number of queries: rows are grouped by week in SQL (a CASE over the weeks' bounds, or the
stored `week_start`), never fetched week by week. Each statement is built once (per number of
weeks, or per dialect) with bound parameters, `RecapQuery.params`; the sections that count
rows and the moods share one UNION ALL, which brings the couple's lasting day too
(`RecapQuery.figures`). `SECTIONS` is the list the recap service runs; a new section is one
function and one line there.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.affirmations.models import AffirmationMessage, GratitudeEntry
from api.db_json import as_date, decode, json_rows
from api.db_utils import execute_core
from api.memories.models import Memory
from api.moods.models import MoodEntry, MoodNeed
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion
from api.recaps.models import RecapStreak
from api.rituals.history import schedules_column, timeline_from_json
from api.rituals.models import Ritual
from api.streaks import engine
from api.streaks.days import couple_day, couple_today, lasting_day, skipped_days
from api.streaks.models import CheckIn, RitualPause
from api.streaks.service import (
    RITUAL_STREAK_COLUMNS,
    live_streak,
    streak_input_columns,
    streak_input_params,
)

TOP_NEEDS = 3


@dataclass(frozen=True)
class Week:
    """One Monday-Sunday week of the couple's days, and the instants it spans."""

    monday: date
    start: datetime  # the Monday's day start (day_starts_at in the couple's zone)
    end: datetime  # the next Monday's day start

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass(frozen=True)
class Figures:
    """What the figures statement read: the counts, the mood figures and the lasting day."""

    # Per kind: (week index, a, b) -> count.
    counts: dict[str, dict[tuple[int, int | None, int | None], int]]
    # Per (user id, week index): entries, mean mood and the count of each need named.
    moods: dict[tuple[int, int], dict[str, Any]]
    today: date


@dataclass(frozen=True)
class RecapQuery:
    """What every section is handed: the couple, its weeks (oldest first) and the instant now.

    ``day`` is the couple's day then (couple_day: its calendar's, or the day a move left it
    on); ``today``, the lasting day, is read with the figures (lasting_day): never before it.
    """

    session: Session
    couple: Couple
    weeks: Sequence[Week]
    instant: datetime

    @functools.cached_property
    def day(self) -> date:
        return couple_day(self.couple, self.instant)

    @property
    def first(self) -> Week:
        return self.weeks[0]

    @property
    def last(self) -> Week:
        return self.weeks[-1]

    @functools.cached_property
    def params(self) -> dict[str, Any]:
        """The bound parameters of every section's statement (each reads the ones it names)."""
        out: dict[str, Any] = {
            "couple_id": self.couple.id,
            "first_start": self.first.start,
            "first_monday": self.first.monday,
            "last_end": self.last.end,
            "last_monday": self.last.monday,
            "last_sunday": self.last.sunday,
            "day": self.day,
            **streak_input_params(self.instant),
        }
        for i, week in enumerate(self.weeks):
            out[f"end_{i}"] = week.end
            out[f"sunday_{i}"] = week.sunday
        return out

    @functools.cached_property
    def figures(self) -> Figures:
        """The counts, the mood figures and the lasting day (one query, _figures_statement)."""
        counts: dict[str, dict[tuple[int, int | None, int | None], int]] = defaultdict(dict)
        moods: dict[tuple[int, int], dict[str, Any]] = {}
        today = None
        statement = _figures_statement(len(self.weeks))
        for kind, index, a, b, count, slug, mean, day in execute_core(
            self.session, statement, self.params
        ):
            if kind == "today":
                today = day
            elif kind in ("moods", "needs"):
                # A UNION ALL promises no order: a need's row may come before its week's figures.
                got = moods.setdefault((a, index), {"entries": 0, "mean_mood": None, "needs": {}})
                if kind == "moods":
                    got["entries"], got["mean_mood"] = count, round(float(mean), 2)
                else:
                    got["needs"][slug] = count
            else:
                counts[kind][(index, a, b)] = count
        assert today is not None  # the lasting day's row is always there
        return Figures(counts=counts, moods=moods, today=today)

    @property
    def counts(self) -> dict[str, dict[tuple[int, int | None, int | None], int]]:
        """The counting sections' figures, per kind: (week index, a, b) -> count."""
        return self.figures.counts

    @property
    def today(self) -> date:
        """The couple's lasting day (lasting_day): read with the figures."""
        return self.figures.today


Section = Callable[[RecapQuery], dict[date, Any]]


# The sections' statements are built once per number of weeks (or dialect) with bound
# parameters (`RecapQuery.params`): building them per request was most of the recap's CPU.


def _week_of(column: InstrumentedAttribute[datetime], weeks: int) -> Any:
    """A SQL expression: the index (oldest first) of the week an instant column falls in."""
    return case(*((column < bindparam(f"end_{i}"), i) for i in range(weeks)), else_=None)


def _in_weeks(column: InstrumentedAttribute[datetime]) -> Any:
    """A SQL condition: the instant column falls in one of the weeks."""
    return and_(column >= bindparam("first_start"), column < bindparam("last_end"))


# The ritual's columns the recap reads, as table columns: a Core SELECT (no ORM object), whose
# row reads as the ritual. Those a live streak needs, and the ritual's life span.
_RITUALS = Ritual.__table__.c
_RITUAL_COLUMNS = [*RITUAL_STREAK_COLUMNS, _RITUALS.created_at, _RITUALS.deleted_at]
_WIDTH = len(_RITUAL_COLUMNS)


@functools.cache
def _rituals_statement(dialect: str, live: bool) -> Select[Any]:
    """The couple's rituals alive in the weeks, each with its timeline from the first Monday and
    the weeks' check-ins, pause spans and recorded streaks as JSON columns: built once per dialect
    and ``live``. Live (the week in progress among the weeks): with what its live streak needs
    too (api.streaks.service.streak_input_columns), not a second query of the rituals.
    """
    first_monday = bindparam("first_monday", type_=Date)
    last_sunday = bindparam("last_sunday", type_=Date)
    checkins = json_rows(
        dialect,
        [CheckIn.local_date, CheckIn.user_id],
        CheckIn.ritual_id == Ritual.id,
        CheckIn.local_date >= first_monday,
        CheckIn.local_date <= last_sunday,
        own=[CheckIn],
    )
    pauses = json_rows(
        dialect,
        [RitualPause.paused_from, RitualPause.resumed_on],
        RitualPause.ritual_id == Ritual.id,
        RitualPause.paused_from <= last_sunday,
        or_(RitualPause.resumed_on.is_(None), RitualPause.resumed_on > first_monday),
        own=[RitualPause],
    )
    recorded = json_rows(
        dialect,
        [RecapStreak.week_start, RecapStreak.streak],
        RecapStreak.ritual_id == Ritual.id,
        RecapStreak.week_start >= first_monday,
        RecapStreak.week_start <= bindparam("last_monday", type_=Date),
        own=[RecapStreak],
    )
    statement = select(
        *_RITUAL_COLUMNS, schedules_column(dialect, first_monday), checkins, pauses, recorded
    )
    if live:
        joined, streak_inputs = streak_input_columns(dialect)
        statement = statement.add_columns(*streak_inputs).outerjoin(*joined)
    return statement.where(
        _RITUALS.couple_id == bindparam("couple_id"),
        _RITUALS.created_at < bindparam("last_end"),
        or_(_RITUALS.deleted_at.is_(None), _RITUALS.deleted_at >= bindparam("first_start")),
    ).order_by(_RITUALS.id)


def rituals(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Each ritual's scheduled and completed days in the week, and its streak (one query).

    The streak is the live one for the week in progress (its inputs in the same query, that
    week only), and for a past week the one the clock recorded as that week ended (null before
    recording began, or when the clock missed the week's end).
    """
    couple, session = query.couple, query.session
    live = any(w.monday <= query.today <= w.sunday for w in query.weeks)
    statement = _rituals_statement(session.get_bind().dialect.name, live)
    rows = execute_core(session, statement, query.params).all()
    out: dict[date, list[dict[str, Any]]] = {w.monday: [] for w in query.weeks}
    if not rows:
        return out
    # Each live ritual's streak now, from the inputs after the recap's own columns.
    live_streaks = {
        ritual.id: live_streak(couple, query.instant, ritual, ritual[_WIDTH + 4 :])["current"]
        for ritual in rows
        if live and ritual.deleted_at is None
    }
    done: dict[tuple[int, date | None], set[int]] = defaultdict(set)
    pauses: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    # Past weeks: the streaks recorded as each week ended (null where none was recorded).
    recorded: dict[tuple[int, date | None], int] = {}
    # Each day judged by the schedule in force on it: a later edit never rewrites a past week.
    timelines = {}
    for ritual in rows:
        schedules, checkin_rows, pause_rows, streak_rows = ritual[_WIDTH : _WIDTH + 4]
        timelines[ritual.id] = timeline_from_json(ritual, couple, schedules)
        for local_date, user_id in decode(checkin_rows):
            done[(ritual.id, as_date(local_date))].add(user_id)
        for paused_from, resumed_on in decode(pause_rows):
            pauses[ritual.id].append((as_date(paused_from), as_date(resumed_on)))  # type: ignore[arg-type]
        for monday, streak in decode(streak_rows):
            recorded[(ritual.id, as_date(monday))] = streak
    for ritual in rows:
        timeline = timelines[ritual.id]
        # As the streak judges them: a day the couple's move east jumped over was never there.
        skipped = skipped_days(couple) if ritual.follows_couple else frozenset()
        born = couple_today(couple, ritual.created_at)
        gone = couple_today(couple, ritual.deleted_at) if ritual.deleted_at else None
        for week in query.weeks:
            if born > week.sunday or (gone is not None and gone < week.monday):
                continue
            scheduled = completed = 0
            for offset in range(7):
                day = week.monday + timedelta(days=offset)
                if day > query.today or day < born or (gone is not None and day >= gone):
                    continue  # the week so far; the ritual's own life
                if day in skipped or not timeline.is_scheduled(day):
                    continue
                complete = engine.is_complete(
                    ritual.completion,  # type: ignore[arg-type]
                    done.get((ritual.id, day), set()),
                    couple.partner_ids,
                )
                # As the streak counts it: the day a pause starts or ends counts if completed.
                if engine.paused_day(day, pauses[ritual.id], complete=complete):
                    continue
                scheduled += 1
                completed += complete
            in_progress = week.monday <= query.today <= week.sunday
            out[week.monday].append(
                {
                    "ritual_id": ritual.id,
                    "title": ritual.title,
                    "scheduled_days": scheduled,
                    "completed_days": completed,
                    "streak": (
                        live_streaks.get(ritual.id)
                        if in_progress
                        else recorded.get((ritual.id, week.monday))
                    ),
                }
            )
    return out


def _kind(kind: str) -> Any:
    # kind is one of _figures_statement's constants, never input: a literal, not a parameter.
    return literal_column(f"'{kind}'", String).label("kind")


# Typed: PostgreSQL unites them with the other parts' columns, and the first part's types are
# the ones SQLAlchemy reads every row's with (a date from SQLite's text, a float mean).
_NO_ID = cast(null(), Integer)
_NO_SLUG = cast(null(), String)
_NO_MEAN = cast(null(), Float)
_NO_DAY = cast(null(), Date)


def _counted(kind: str, week: Any, a: Any, b: Any, *where: Any) -> Select[Any]:
    """One part of the counts: rows matching where, counted per week index, a and b."""
    # Grouped over a subquery: PostgreSQL does not see two bound CASEs as one expression.
    rows = select(week.label("week"), a.label("a"), b.label("b")).where(*where).subquery()
    return select(
        _kind(kind),
        rows.c.week,
        rows.c.a,
        rows.c.b,
        func.count().label("count"),
        _NO_SLUG.label("slug"),
        _NO_MEAN.label("mean"),
        _NO_DAY.label("day"),
    ).group_by(rows.c.week, rows.c.a, rows.c.b)


def _by_sunday(column: InstrumentedAttribute[date], weeks: int) -> Any:
    """A SQL expression: the index (oldest first) of the week a local day column falls in."""
    return case(
        *((column <= bindparam(f"sunday_{i}", type_=Date), i) for i in range(weeks)), else_=None
    )


def _mood_parts(weeks: int) -> list[Select[Any]]:
    """The moods section's rows: per (user, week) the entries and mean mood, and per need
    named its count (the mood summary's figures, by week index)."""
    # Grouped over subqueries, as _counted: PostgreSQL does not see two bound CASEs as one.
    entries = (
        select(
            _by_sunday(MoodEntry.week_start, weeks).label("week"),
            MoodEntry.user_id,
            MoodEntry.id,
            MoodEntry.mood,
        )
        .where(
            MoodEntry.couple_id == bindparam("couple_id"),
            MoodEntry.week_start >= bindparam("first_monday", type_=Date),
            MoodEntry.week_start <= bindparam("last_monday", type_=Date),
        )
        .subquery()
    )
    figures = select(
        _kind("moods"),
        entries.c.week,
        entries.c.user_id,
        _NO_ID,
        func.count(entries.c.id),
        _NO_SLUG,
        func.avg(entries.c.mood),
        _NO_DAY,
    ).group_by(entries.c.week, entries.c.user_id)
    needs = (
        select(
            _kind("needs"),
            entries.c.week,
            entries.c.user_id,
            _NO_ID,
            func.count(),
            MoodNeed.slug,
            _NO_MEAN,
            _NO_DAY,
        )
        .join(MoodNeed, MoodNeed.entry_id == entries.c.id)
        .group_by(entries.c.week, entries.c.user_id, MoodNeed.slug)
    )
    return [figures, needs]


@functools.cache
def _figures_statement(weeks: int) -> CompoundSelect[Any]:
    """The counting sections' and the moods section's rows per week index, and the couple's
    lasting day: built once per number of weeks.

    Rows (kind, week, a, b, count, slug, mean, day): affirmations by sender (a) and recipient
    (b), gratitude by author (a), questions answered together and memories written (neither),
    moods by user (a) with their mean and needs by user (a) and slug; one row "today" holding
    the lasting day (lasting_day, bound ``couple_id`` and ``day``). One statement, not one per
    section: each round trip was a fixed share of the recap's CPU.
    """
    couple_id = bindparam("couple_id")
    none = _NO_ID
    # The couple's question days are local days already: bucket them by the weeks' Sundays.
    question_week = _by_sunday(CoupleQuestion.local_date, weeks)
    current = select(_kind("today"), none, none, none, none, _NO_SLUG, _NO_MEAN, lasting_day())
    return union_all(
        _counted(
            "affirmations",
            _week_of(AffirmationMessage.created_at, weeks),
            AffirmationMessage.sender_id,
            AffirmationMessage.recipient_id,
            AffirmationMessage.couple_id == couple_id,
            _in_weeks(AffirmationMessage.created_at),
        ),
        _counted(
            "gratitude",
            _week_of(GratitudeEntry.created_at, weeks),
            GratitudeEntry.author_id,
            none,
            GratitudeEntry.couple_id == couple_id,
            _in_weeks(GratitudeEntry.created_at),
        ),
        _counted(
            "questions",
            question_week,
            none,
            none,
            CoupleQuestion.couple_id == couple_id,
            CoupleQuestion.revealed_at.is_not(None),
            CoupleQuestion.local_date >= bindparam("first_monday", type_=Date),
            CoupleQuestion.local_date <= bindparam("last_sunday", type_=Date),
        ),
        _counted(
            "memories",
            _week_of(Memory.created_at, weeks),
            none,
            none,
            Memory.couple_id == couple_id,
            _in_weeks(Memory.created_at),
        ),
        *_mood_parts(weeks),
        current,
    )


def affirmations(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Affirmations sent each way in the week (the shared counts query)."""
    counts = query.counts["affirmations"]
    partners = query.couple.partner_ids
    ways = [(a, b) for a in partners for b in partners if a != b]
    return {
        week.monday: [
            {"from_user_id": a, "to_user_id": b, "count": counts.get((i, a, b), 0)} for a, b in ways
        ]
        for i, week in enumerate(query.weeks)
    }


def gratitude(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Gratitude entries each partner added in the week (the shared counts query)."""
    counts = query.counts["gratitude"]
    return {
        week.monday: [
            {"user_id": uid, "count": counts.get((i, uid, None), 0)}
            for uid in query.couple.partner_ids
        ]
        for i, week in enumerate(query.weeks)
    }


def moods(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Each partner's entries, mean mood and most frequent needs in the week (the figures query)."""
    figures = query.figures.moods
    out: dict[date, list[dict[str, Any]]] = {}
    for i, week in enumerate(query.weeks):
        part = []
        for uid in query.couple.partner_ids:
            got = figures.get((uid, i))
            needs = got["needs"] if got else {}
            top = sorted(needs, key=lambda slug: (-needs[slug], slug))[:TOP_NEEDS]
            part.append(
                {
                    "user_id": uid,
                    "entries": got["entries"] if got else 0,
                    "mean_mood": got["mean_mood"] if got else None,
                    "top_needs": top,
                }
            )
        out[week.monday] = part
    return out


def questions(query: RecapQuery) -> dict[date, int]:
    """Daily questions answered together (both answers in, so revealed) in the week."""
    counts = query.counts["questions"]
    return {week.monday: counts.get((i, None, None), 0) for i, week in enumerate(query.weeks)}


def memories(query: RecapQuery) -> dict[date, int]:
    """Memories the couple added in the week, by when they were written."""
    counts = query.counts["memories"]
    return {week.monday: counts.get((i, None, None), 0) for i, week in enumerate(query.weeks)}


# The sections every recap runs, in the order the recap lists them.
SECTIONS: list[tuple[str, Section]] = [
    ("rituals", rituals),
    ("affirmations", affirmations),
    ("gratitude", gratitude),
    ("moods", moods),
    ("questions_answered_together", questions),
    ("memories_added", memories),
]
