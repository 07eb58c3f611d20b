"""The recap's sections: each computes its part for a run of weeks in one or two queries.

A section takes a `RecapQuery` (the couple and its weeks, oldest first) and returns its part
per week, keyed by the week's Monday. Reading one week or a page of fifty costs the same
number of queries: rows are grouped by week in SQL (a CASE over the weeks' bounds, or the
stored `week_start`), never fetched week by week. `SECTIONS` is the list the recap service
runs; a new section is one function and one line there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.affirmations.models import AffirmationMessage, GratitudeEntry
from api.memories.models import Memory
from api.moods.service import week_figures
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion
from api.recaps.models import RecapStreak
from api.rituals.history import load_timelines
from api.rituals.models import Ritual
from api.streaks import engine
from api.streaks.days import couple_today
from api.streaks.models import CheckIn, RitualPause

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
class RecapQuery:
    """What every section is handed: the couple, its weeks (oldest first) and its today."""

    session: Session
    couple: Couple
    weeks: Sequence[Week]
    today: date

    @property
    def first(self) -> Week:
        return self.weeks[0]

    @property
    def last(self) -> Week:
        return self.weeks[-1]


Section = Callable[[RecapQuery], dict[date, Any]]


def _week_of(query: RecapQuery, column: InstrumentedAttribute[datetime]) -> Any:
    """A SQL expression: the index (oldest first) of the week an instant column falls in."""
    return case(*((column < week.end, i) for i, week in enumerate(query.weeks)), else_=None)


def _in_weeks(query: RecapQuery, column: InstrumentedAttribute[datetime]) -> Any:
    return and_(column >= query.first.start, column < query.last.end)


def rituals(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Each ritual's scheduled and completed days in the week, and its streak (five queries).

    The streak is the live one for the week in progress (a few more queries, that week only),
    and for a past week the one the clock recorded as that week ended (null before recording
    began, or when the clock missed the week's end).
    """
    couple, session = query.couple, query.session
    ritual_rows = list(
        session.scalars(
            select(Ritual)
            .where(
                Ritual.couple_id == couple.id,
                Ritual.created_at < query.last.end,
                or_(Ritual.deleted_at.is_(None), Ritual.deleted_at >= query.first.start),
            )
            .order_by(Ritual.id)
        )
    )
    out: dict[date, list[dict[str, Any]]] = {w.monday: [] for w in query.weeks}
    if not ritual_rows:
        return out
    ids = [r.id for r in ritual_rows]
    done: dict[tuple[int, date], set[int]] = defaultdict(set)
    for ritual_id, local_date, user_id in session.execute(
        select(CheckIn.ritual_id, CheckIn.local_date, CheckIn.user_id).where(
            CheckIn.ritual_id.in_(ids),
            CheckIn.local_date >= query.first.monday,
            CheckIn.local_date <= query.last.sunday,
        )
    ):
        done[(ritual_id, local_date)].add(user_id)
    pauses: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for ritual_id, paused_from, resumed_on in session.execute(
        select(RitualPause.ritual_id, RitualPause.paused_from, RitualPause.resumed_on).where(
            RitualPause.ritual_id.in_(ids),
            RitualPause.paused_from <= query.last.sunday,
            or_(RitualPause.resumed_on.is_(None), RitualPause.resumed_on > query.first.monday),
        )
    ):
        pauses[ritual_id].append((paused_from, resumed_on))
    live_streaks = _current_streaks(query, ritual_rows)
    # Past weeks: the streaks recorded as each week ended (null where none was recorded).
    recorded = {
        (ritual_id, monday): streak
        for ritual_id, monday, streak in session.execute(
            select(RecapStreak.ritual_id, RecapStreak.week_start, RecapStreak.streak).where(
                RecapStreak.ritual_id.in_(ids),
                RecapStreak.week_start >= query.first.monday,
                RecapStreak.week_start <= query.last.monday,
            )
        )
    }
    # Each day judged by the schedule in force on it: a later edit never rewrites a past week.
    timelines = load_timelines(
        session, couple, ritual_rows, {r.id: query.first.monday for r in ritual_rows}
    )
    for ritual in ritual_rows:
        timeline = timelines[ritual.id]
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
                if not timeline.is_scheduled(day):
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


def _current_streaks(query: RecapQuery, ritual_rows: list[Ritual]) -> dict[int, int]:
    """The live streak of each live ritual, when the current week is among the weeks asked."""
    if not any(w.monday <= query.today <= w.sunday for w in query.weeks):
        return {}
    from api.streaks.service import streaks

    live = [r for r in ritual_rows if r.deleted_at is None]
    views = streaks(query.session, couple=query.couple, rituals=live) if live else []
    return {view["ritual_id"]: view["current"] for view in views}


def affirmations(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Affirmations sent each way in the week (one query)."""
    # Grouped over a subquery: PostgreSQL does not see two bound CASEs as one expression.
    rows = (
        select(
            _week_of(query, AffirmationMessage.created_at).label("week"),
            AffirmationMessage.sender_id,
            AffirmationMessage.recipient_id,
        )
        .where(
            AffirmationMessage.couple_id == query.couple.id,
            _in_weeks(query, AffirmationMessage.created_at),
        )
        .subquery()
    )
    counts: dict[tuple[int, int | None, int], int] = {}
    for index, sender_id, recipient_id, count in query.session.execute(
        select(rows.c.week, rows.c.sender_id, rows.c.recipient_id, func.count()).group_by(
            rows.c.week, rows.c.sender_id, rows.c.recipient_id
        )
    ):
        counts[(index, sender_id, recipient_id)] = count
    partners = query.couple.partner_ids
    ways = [(a, b) for a in partners for b in partners if a != b]
    return {
        week.monday: [
            {"from_user_id": a, "to_user_id": b, "count": counts.get((i, a, b), 0)} for a, b in ways
        ]
        for i, week in enumerate(query.weeks)
    }


def gratitude(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Gratitude entries each partner added in the week (one query)."""
    rows = (
        select(_week_of(query, GratitudeEntry.created_at).label("week"), GratitudeEntry.author_id)
        .where(
            GratitudeEntry.couple_id == query.couple.id,
            _in_weeks(query, GratitudeEntry.created_at),
        )
        .subquery()
    )
    counts = {
        (index, author_id): count
        for index, author_id, count in query.session.execute(
            select(rows.c.week, rows.c.author_id, func.count()).group_by(
                rows.c.week, rows.c.author_id
            )
        )
    }
    return {
        week.monday: [
            {"user_id": uid, "count": counts.get((i, uid), 0)} for uid in query.couple.partner_ids
        ]
        for i, week in enumerate(query.weeks)
    }


def moods(query: RecapQuery) -> dict[date, list[dict[str, Any]]]:
    """Each partner's entries, mean mood and most frequent needs in the week (two queries)."""
    figures = week_figures(
        query.session, couple=query.couple, first=query.first.monday, last=query.last.monday
    )
    out: dict[date, list[dict[str, Any]]] = {}
    for week in query.weeks:
        part = []
        for uid in query.couple.partner_ids:
            got = figures.get((uid, week.monday))
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
    """Daily questions answered together (both answers in, so revealed) in the week (one query)."""
    # The couple's question days are local days already: bucket them by the weeks' Mondays.
    week_of_day = case(
        *((CoupleQuestion.local_date <= week.sunday, week.monday) for week in query.weeks),
        else_=None,
    )
    rows = (
        select(week_of_day.label("monday"))
        .where(
            CoupleQuestion.couple_id == query.couple.id,
            CoupleQuestion.revealed_at.is_not(None),
            CoupleQuestion.local_date >= query.first.monday,
            CoupleQuestion.local_date <= query.last.sunday,
        )
        .subquery()
    )
    counts = dict(
        query.session.execute(select(rows.c.monday, func.count()).group_by(rows.c.monday)).all()
    )
    return {week.monday: counts.get(week.monday, 0) for week in query.weeks}


def memories(query: RecapQuery) -> dict[date, int]:
    """Memories the couple added in the week, by when they were written (one query)."""
    rows = (
        select(_week_of(query, Memory.created_at).label("week"))
        .where(Memory.couple_id == query.couple.id, _in_weeks(query, Memory.created_at))
        .subquery()
    )
    counts = dict(
        query.session.execute(select(rows.c.week, func.count()).group_by(rows.c.week)).all()
    )
    return {week.monday: counts.get(i, 0) for i, week in enumerate(query.weeks)}


# The sections every recap runs, in the order the recap lists them.
SECTIONS: list[tuple[str, Section]] = [
    ("rituals", rituals),
    ("affirmations", affirmations),
    ("gratitude", gratitude),
    ("moods", moods),
    ("questions_answered_together", questions),
    ("memories_added", memories),
]
