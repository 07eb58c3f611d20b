"""The couple's local day: it begins at day_starts_at in the couple's time zone.

Thin wrappers over the one calendar function (api.rituals.calendar): a day start in a
repeated hour is its first instant, one in a DST gap is the jump, and once a day has begun
it stays begun. Other domains (questions, moods, memories, recaps) call these for the
couple's day; a ritual's own day comes from its timeline (api.rituals.calendar.Timeline).
Every domain reads the couple's today (its day, its week, its daily quotas) with lasting_day or
couple_current_day: after a move west the latest day the couple lived (in any domain, or the day
it was on when it moved: couples.lived_through) lasts instead of the day before coming back. A
ritual that follows the couple's zone is on that day too (ritual_today), and a day a move east
jumped over is none of its scheduled days (skipped_days).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Select, bindparam, func, select, union_all
from sqlalchemy.orm import Session

from api.moods.models import MoodEntry
from api.pairing.models import Couple
from api.questions.models import CoupleQuestion
from api.rituals import calendar
from api.rituals.calendar import Timeline
from api.rituals.models import Ritual


def couple_today(couple: Couple, instant: datetime) -> date:
    """The couple's day at ``instant``: a kiss at 01:30 belongs to the evening before."""
    return calendar.local_day(instant, tz=couple.timezone, starts_at=couple.day_starts_at)


def lived_floor(couple: Couple, instant: datetime) -> date | None:
    """The day the couple was on at its last move, if ``instant`` is after that move."""
    if couple.moved_at is None or instant < couple.moved_at:
        return None
    return couple.lived_through


def couple_day(couple: Couple, instant: datetime) -> date:
    """The couple's day at ``instant``, never before the day it was on at its last move."""
    day = couple_today(couple, instant)
    floor = lived_floor(couple, instant)
    return max(day, floor) if floor else day


def skipped_days(couple: Couple) -> frozenset[date]:
    """The days the couple's last move east jumped over: they lasted no time, so none is missed.

    Those after the day it was on (lived_through) and before the new calendar's day at the move.
    """
    if couple.lived_through is None or couple.moved_at is None:
        return frozenset()
    landed = couple_today(couple, couple.moved_at)
    gap = (landed - couple.lived_through).days
    return frozenset(couple.lived_through + timedelta(days=n) for n in range(1, gap))


def ritual_today(ritual: Ritual, couple: Couple, timeline: Timeline, instant: datetime) -> date:
    """The ritual's day at ``instant``: a ritual that follows the couple's zone is on the
    couple's day, never before the day the couple was on at its last move (couple_day)."""
    today = timeline.day_of(instant)
    floor = lived_floor(couple, instant) if ritual.follows_couple else None
    return max(today, floor) if floor else today


def later_day(dated: Sequence[tuple[Any, Any]], *, owner: str) -> ColumnElement[date]:
    """SQL for a day that never goes back before the latest day the ``dated`` rows hold.

    ``dated`` are (owner column, day column) pairs; the expression is the bound ``day`` (the
    day now), or the latest later day any of those rows of the bound ``owner`` hold. A move
    west (or a later day start) takes the day back by one: the day already lived then lasts
    until the new zone's own day catches up, as a ritual's day does. Build it once (cache the
    caller): its text is the same for every owner.
    """
    day = bindparam("day", type_=Date)
    held = [
        # Its own scan of each table, never correlated to an outer query's rows of it.
        select(when.label("held")).where(who == bindparam(owner), when > day).correlate(None)
        for who, when in dated
    ]
    rows = (union_all(*held) if len(held) > 1 else held[0]).subquery()
    later = select(func.max(rows.c.held)).correlate(None).scalar_subquery()
    return func.coalesce(later, day)


@functools.cache
def lasting_day() -> ColumnElement[date]:
    """SQL for the couple's lasting day: the couple's day, never before a day already lived.

    A day the couple has lived is one its rows are dated by (moods, the daily question), in any
    domain, or the day it was on at its last move (the bound ``day`` is never before it): after
    a move west every domain's today, week, quota and push limit is that day, so a mood posted
    on Tuesday keeps Tuesday's question today's, and the other way round. One expression, so
    that a read of today's rows stays one query; built once, with bound parameters
    ``couple_id`` and ``day`` (the couple's day now: lasting_params gives both).
    """
    return later_day(
        [
            (MoodEntry.couple_id, MoodEntry.local_date),
            (CoupleQuestion.couple_id, CoupleQuestion.local_date),
        ],
        owner="couple_id",
    )


def lasting_params(couple: Couple, instant: datetime) -> dict[str, Any]:
    """The bound parameters of lasting_day for the couple at ``instant``."""
    return {"couple_id": couple.id, "day": couple_day(couple, instant)}


@functools.cache
def current_day_statement() -> Select[tuple[date]]:
    """The lasting day's SELECT, built once; bind lasting_params (couple_current_day, recaps)."""
    return select(lasting_day())


def couple_current_day(session: Session, couple: Couple, instant: datetime) -> date:
    """The day lasting_day names, as a date: the couple's today for a write, a week, a quota."""
    return session.scalars(current_day_statement(), lasting_params(couple, instant)).one()


def in_couple_future(session: Session, couple: Couple, day: date, instant: datetime) -> bool:
    """Whether a calendar day (a memory's, an anniversary) is still to come for the couple."""
    # Their wall-clock date, not UTC's: in Auckland it is already tomorrow for half of UTC's
    # day. Nor a day the couple already lived: after a move west their lasting day can be
    # after the new zone's date. Read only past the wall-clock date: one statement, rare.
    if day <= instant.astimezone(ZoneInfo(couple.timezone)).date():
        return False
    return day > couple_current_day(session, couple, instant)


def lasting_days(session: Session, couples: Sequence[Couple], instant: datetime) -> dict[int, date]:
    """The lasting day of each of ``couples`` at ``instant``, by couple id: one grouped query.

    For a job's batch (a tick claims due couples, then reads their days at once): the couple's
    day, or the latest later day its moods or daily questions are dated by, as lasting_day.
    """
    today = {couple.id: couple_day(couple, instant) for couple in couples}
    if not today:
        return {}
    ids, earliest = list(today), min(today.values())
    dated = union_all(
        *(
            select(who.label("couple_id"), when.label("held")).where(who.in_(ids), when > earliest)
            for who, when in (
                (MoodEntry.couple_id, MoodEntry.local_date),
                (CoupleQuestion.couple_id, CoupleQuestion.local_date),
            )
        )
    ).subquery()
    held = session.execute(
        select(dated.c.couple_id, func.max(dated.c.held)).group_by(dated.c.couple_id)
    )
    for couple_id, day in held:
        today[couple_id] = max(today[couple_id], day)
    return today


def couple_time(couple: Couple, instant: datetime) -> time:
    """The couple's wall-clock time at ``instant``."""
    return instant.astimezone(ZoneInfo(couple.timezone)).time()


def day_start(couple: Couple, day: date) -> datetime:
    """The UTC instant the couple's ``day`` begins (repeated hour: the first; gap: the jump)."""
    return calendar.day_start(day, tz=couple.timezone, starts_at=couple.day_starts_at)


def seconds_until_next_day(couple: Couple, instant: datetime, today: date | None = None) -> int:
    """Whole seconds from ``instant`` until the day after ``today`` begins (at least 1).

    ``today`` is the couple's lasting day when the caller has it (couple_current_day): after a
    move west the day lived lasts, and so does what is counted by it. Default: couple_today.
    """
    today = couple_today(couple, instant) if today is None else today
    nxt = day_start(couple, today + timedelta(days=1))
    return max(1, int((nxt - instant).total_seconds() + 0.999))
