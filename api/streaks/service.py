"""Use cases of check-ins, streaks and nudges; the rules themselves live in engine.py.

Cost: a streak read or a check-in touches the persisted StreakRecord (finalized through the
day before yesterday) plus the few check-ins and pause spans after it, never the history.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from api import idempotency
from api.clock import now
from api.db_json import as_date, decode, json_array_of, json_rows
from api.db_utils import conflict_insert, execute_core
from api.errors import Conflict, Invalid, NotFound, RateLimited
from api.i18n import N_, Text, text
from api.idempotency import ClientIdTaken
from api.notifications.service import notify, notify_many, notify_many_keyed
from api.pagination import Page, PagedSelect, by_day, page_statement, paged
from api.pairing.models import Couple
from api.quotas import service as quotas
from api.rituals import service as ritual_service
from api.rituals.calendar import Schedule, Timeline, check_in_day_at
from api.rituals.history import (
    RECENT,
    load_timelines,
    recent_timeline,
    schedules_column,
    timeline_from_json,
)
from api.rituals.models import Ritual, RitualTemplate
from api.rituals.names import ritual_phrase, ritual_title, templates_of
from api.rituals.service import refuse_nudge_unless_due
from api.streaks import engine
from api.streaks.days import (
    couple_current_day,
    ritual_today,
    seconds_until_next_day,
    skipped_days,
)
from api.streaks.models import CheckIn, Nudge, RitualPause, StreakRecord
from api.users.models import User

AT_RISK_AFTER = time(20, 0)
AT_RISK_MIN_CURRENT = 2
# A check-in this soon after a ritual's reminder counts for the reminder's day by default.
CHECK_IN_AFTER_REMINDER = timedelta(hours=1)


class RitualNotFound(NotFound):
    title = N_("Ritual not found")


class AlreadyCheckedIn(Conflict):
    title = N_("Already checked in")


class ClientIdReused(ClientIdTaken):
    """The caller's own client_id, sent again for another ritual."""


class NudgeLimit(RateLimited):
    title = N_("Already nudged today")


class PartnerAlreadyDone(Conflict):
    title = N_("Partner already checked in")


class DayAlreadyComplete(Conflict):
    title = N_("Today is already complete")


# Nudges one sender may send in one couple-day, across all rituals (API.md).
NUDGES_PER_DAY = 3


def get_ritual(session: Session, *, couple: Couple, ritual_id: int) -> Ritual:
    """A live ritual of this couple; anything else (another couple's, deleted) is a 404."""
    # ritual_service.get's statement is built once; building one here per request cost the
    # check-in list about a fifth of its CPU.
    return ritual_service.get(session, couple=couple, ritual_id=ritual_id)


def _name(user: User | None) -> str | Text:
    return (user.display_name if user else "") or text(N_("Your partner"))


# -- the days the engine needs --------------------------------------------------------------


@dataclass
class RitualDays:
    """What is known about one ritual's days after its finalized state."""

    ritual: Ritual | Row[Any]  # a read's row of the ritual's columns reads as the ritual
    partner_ids: Sequence[int]
    timeline: Timeline
    checkins: dict[date, set[int]] = field(default_factory=lambda: defaultdict(set))
    pauses: list[tuple[date, date | None]] = field(default_factory=list)
    # Days the couple's last move east jumped over (a ritual that follows the couple's zone).
    skipped: frozenset[date] = frozenset()

    @classmethod
    def of(cls, ritual: Ritual | Row[Any], couple: Couple, timeline: Timeline) -> RitualDays:
        """The ritual's days as its couple's calendar makes them (before any check-in is added)."""
        skipped = skipped_days(couple) if ritual.follows_couple else frozenset()
        return cls(ritual, couple.partner_ids, timeline, skipped=skipped)

    def scheduled(self, d: date) -> bool:
        """Whether ``d`` is a scheduled day that existed (a day a move east skipped did not)."""
        # A skipped day checked in before the move (at its early reminder) keeps its verdict.
        lived = d not in self.skipped or d in self.checkins
        return lived and self.timeline.is_scheduled(d)

    def complete(self, day: date) -> bool:
        return engine.is_complete(
            self.ritual.completion,  # type: ignore[arg-type]
            self.checkins.get(day, set()),
            self.partner_ids,
        )

    def day(self, d: date) -> engine.Day:
        complete = self.complete(d)
        return engine.Day(
            d,
            scheduled=self.scheduled(d),
            paused=engine.paused_day(d, self.pauses, complete=complete),
            complete=complete,
        )

    def later(self, today: date) -> list[engine.Day]:
        """Every day after today up to the last one holding a check-in, in order.

        Check-ins after today come from a reminder before the day start (tomorrow's occurrence
        fires while today runs). The days between are included so that an open one among them
        holds back what follows it (engine.provisional).
        """
        last = max(self.checkins, default=today)
        return [self.day(today + timedelta(days=n)) for n in range(1, (last - today).days + 1)]

    def completed_dates(self) -> set[date]:
        return {d for d in self.checkins if self.complete(d)}


def _load_days(
    session: Session,
    couple: Couple,
    rituals: Sequence[Ritual],
    after: dict[int, date],
    timelines: dict[int, Timeline],
) -> dict[int, RitualDays]:
    """Check-ins and pause spans after each ritual's ``after`` date: two queries in all."""
    out = {r.id: RitualDays.of(r, couple, timelines[r.id]) for r in rituals}
    if not rituals:
        return out
    rows = session.execute(
        select(CheckIn.ritual_id, CheckIn.local_date, CheckIn.user_id).where(
            or_(
                *(
                    and_(CheckIn.ritual_id == rid, CheckIn.local_date > day)
                    for rid, day in after.items()
                )
            )
        )
    )
    for ritual_id, local_date, user_id in rows:
        out[ritual_id].checkins[local_date].add(user_id)
    spans = session.execute(
        select(RitualPause.ritual_id, RitualPause.paused_from, RitualPause.resumed_on).where(
            or_(
                *(
                    and_(
                        RitualPause.ritual_id == rid,
                        or_(RitualPause.resumed_on.is_(None), RitualPause.resumed_on > day),
                    )
                    for rid, day in after.items()
                )
            )
        )
    )
    for ritual_id, paused_from, resumed_on in spans:
        out[ritual_id].pauses.append((paused_from, resumed_on))
    return out


def _catch_up(
    state: engine.StreakState, days: RitualDays, through: date
) -> tuple[engine.StreakState, list[engine.Event]]:
    return engine.catch_up(
        state,
        through,
        scheduled=days.scheduled,
        pauses=days.pauses,
        completed=days.completed_dates(),
    )


def _pending(state: engine.StreakState, days: RitualDays, today: date) -> list[engine.Day]:
    """The not-yet-finalized days before today (at most yesterday after a catch-up)."""
    out = []
    d = state.finalized_through + timedelta(days=1)
    while d < today:
        out.append(days.day(d))
        d += timedelta(days=1)
    return out


def _streak_view(
    recorded: engine.StreakState | None, days: RitualDays, couple: Couple, instant: datetime
) -> dict[str, Any]:
    today = ritual_today(days.ritual, couple, days.timeline, instant)
    state = recorded or engine.StreakState.start(today - timedelta(days=2))
    # Not persisted: a read never writes. catch_up stops early once nothing can change.
    state, _ = _catch_up(state, days, today - timedelta(days=2))
    t = days.day(today)
    # The evening of the ritual's own day, in its zone: a Tokyo ritual of a Berlin couple is
    # at risk after 20:00 in Tokyo, not at dawn of its day when Berlin's evening comes.
    schedule = days.timeline.schedule_on(today)
    result = engine.view(
        state,
        today=today,
        today_complete=t.complete,
        today_scheduled=t.scheduled,
        today_paused=t.paused,
        now_local_time=schedule.local_time(instant),
        pending=_pending(state, days, today),
        later=days.later(today),
        day_starts_at=schedule.day_starts_at,
        at_risk_after=AT_RISK_AFTER,
    )
    return {"ritual_id": days.ritual.id, **result}


# -- reads ----------------------------------------------------------------------------------


def streak(session: Session, *, couple: Couple, ritual_id: int) -> dict[str, Any]:
    """The streak of one ritual as the API shows it now."""
    views = _streak_views(session, couple, ritual_id=ritual_id)
    if not views:
        raise RitualNotFound(N_("No such ritual."))
    return views[0]


def streaks(
    session: Session, *, couple: Couple, rituals: Sequence[Ritual] | None = None
) -> list[dict[str, Any]]:
    """The streak of every live ritual of the couple (or of ``rituals``), in one statement."""
    if rituals is None:
        return _streak_views(session, couple)
    if not rituals:
        return []
    by_id = {r.id: r for r in rituals}
    views = {v["ritual_id"]: v for v in _streak_views(session, couple, ritual_ids=list(by_id))}
    return [views[r.id] for r in rituals]


def _streak_views(
    session: Session,
    couple: Couple,
    *,
    ritual_id: int | None = None,
    ritual_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """The streak views of the couple's live rituals (all, one, or those listed): one SELECT."""
    instant = now()
    return [
        _streak_view(recorded, days, couple, instant)
        for recorded, days in _streak_inputs(
            session, couple, instant, ritual_id=ritual_id, ritual_ids=ritual_ids
        )
    ]


# Table columns, not mapped attributes, in the streak reads' SELECT: a SELECT of columns is
# a Core one (no ORM compile step, no objects loaded per execution).
_RITUALS = Ritual.__table__.c
_CHECK_INS = CheckIn.__table__.c
_RECORDS = StreakRecord.__table__
_PAUSES = RitualPause.__table__
# The ritual's columns a streak view (and the at-risk push's words) reads: the others are not
# fetched, nor their values converted, per read. A row of them reads as the ritual.
RITUAL_STREAK_COLUMNS = [
    getattr(_RITUALS, name)
    for name in (
        "id",
        "template_key",
        "title",
        "days",
        "time",
        "timezone",
        "follows_couple",
        "completion",
    )
]
# A record's columns in StreakState's order (its fields).
_STATE_COLUMNS = (
    "current",
    "longest",
    "freezes_available",
    "last_completed_date",
    "run_started_on",
    "finalized_through",
)


def _pause_spans_after(dialect: str, ritual_id: Any, after: Any) -> Any:
    """JSON column: the ritual's pause spans still open or resumed after ``after``."""
    return json_rows(
        dialect,
        [_PAUSES.c.paused_from, _PAUSES.c.resumed_on],
        _PAUSES.c.ritual_id == ritual_id,
        or_(_PAUSES.c.resumed_on.is_(None), _PAUSES.c.resumed_on > after),
        own=[_PAUSES],
    )


def _record_join(dialect: str) -> tuple[Any, tuple[Any, Any]]:
    """The ritual's streak record for _streak_inputs: (its columns, the outer join's target and
    condition).

    On PostgreSQL a LATERAL lookup (one row at most, by primary key): an index probe per
    ritual whatever the planner's estimate of rituals per couple. As a plain outer join,
    PostgreSQL hashed the whole streak_records table when couples had many rituals (the load
    benchmark's), a cost that grew with every couple's records. SQLite has no LATERAL.
    """
    if dialect != "postgresql":
        return _RECORDS.c, (_RECORDS, _RECORDS.c.ritual_id == _RITUALS.id)
    row = select(_RECORDS).where(_RECORDS.c.ritual_id == _RITUALS.id).limit(1).lateral("record")
    return row.c, (row, true())


def streak_input_columns(dialect: str) -> tuple[tuple[Any, Any], list[Any]]:
    """What a ritual's streak view needs, selected with the ritual: (the outer join's target
    and condition, the columns: its record's state (_STATE_COLUMNS), then its timeline rows,
    its check-ins and pause spans after the record as one JSON value). Bound ``recent``
    (streak_input_params). Part of a statement built once (the caller caches it).
    """
    recent = bindparam("recent", type_=Date)
    record, joined = _record_join(dialect)
    finalized = record.finalized_through
    # Timeline rows from min(finalized_through, recent); children after finalized_through.
    since = case((finalized < recent, finalized), else_=recent)
    after = func.coalesce(finalized, recent)
    checkins = json_rows(
        dialect,
        [_CHECK_INS.local_date, _CHECK_INS.user_id],
        _CHECK_INS.ritual_id == _RITUALS.id,
        _CHECK_INS.local_date > after,
        own=[CheckIn.__table__],
    )
    pauses = _pause_spans_after(dialect, _RITUALS.id, after)
    state = [record[name] for name in _STATE_COLUMNS]
    # The three child sets in one JSON value: one to parse per ritual, not three.
    return joined, [
        *state,
        json_array_of(dialect, schedules_column(dialect, since), checkins, pauses),
    ]


def streak_input_params(instant: datetime) -> dict[str, Any]:
    """The bound parameters of streak_input_columns at ``instant``."""
    return {"recent": instant.astimezone(UTC).date() - RECENT}


@functools.cache
def _streak_inputs_statement(dialect: str, which: str) -> Select[Any]:
    """The SELECT of _streak_inputs, built once per dialect and filter (all, one, some).

    Bound parameters: ``couple_id``, ``recent`` (a date), and ``ritual_id`` or ``ritual_ids``
    (a list). Built once, it is not rebuilt, nor its compiled-cache key recomputed, per
    request: for this statement that was most of the read's CPU.
    """
    joined, columns = streak_input_columns(dialect)
    where = {
        "all": [],
        "one": [_RITUALS.id == bindparam("ritual_id")],
        "some": [_RITUALS.id.in_(bindparam("ritual_ids", expanding=True))],
    }[which]
    return (
        select(*RITUAL_STREAK_COLUMNS, *columns)
        .outerjoin(*joined)
        .where(_RITUALS.couple_id == bindparam("couple_id"), _RITUALS.deleted_at.is_(None), *where)
        .order_by(_RITUALS.id)
    )


def _streak_inputs(
    session: Session,
    couple: Couple,
    instant: datetime,
    *,
    ritual_id: int | None = None,
    ritual_ids: Sequence[int] | None = None,
) -> list[tuple[StreakRecord | None, RitualDays]]:
    """Live rituals with their record, timeline, recent check-ins and pauses: one SELECT.

    Every child set is a JSON column of the ritual's row (api.db_json). The bounds are the
    record's finalized_through, or for a ritual without a record the few recent days (a
    superset of what the engine needs, narrowed here exactly as the separate queries did).
    """
    params: dict[str, Any] = {"couple_id": couple.id, **streak_input_params(instant)}
    if ritual_id is not None:
        which, params["ritual_id"] = "one", ritual_id
    elif ritual_ids is not None:
        which, params["ritual_ids"] = "some", list(ritual_ids)
    else:
        which = "all"
    statement = _streak_inputs_statement(session.get_bind().dialect.name, which)
    rows = execute_core(session, statement, params).all()
    # Each row reads as its ritual (the columns after the ritual's are unnamed or the record's).
    width = len(RITUAL_STREAK_COLUMNS)
    out = []
    for row in rows:
        recorded = _recorded_state(row[width : width + len(_STATE_COLUMNS)])
        out.append((recorded, _ritual_days(couple, instant, row, recorded, row[-1])))
    return out


def _recorded_state(values: Sequence[Any]) -> engine.StreakState | None:
    """The record's state from its _STATE_COLUMNS values; None without a record (the outer
    join's NULLs: finalized_through is never NULL in a record)."""
    return None if values[-1] is None else engine.StreakState(*values)


def _ritual_days(
    couple: Couple,
    instant: datetime,
    ritual: Ritual | Row[Any],
    recorded: engine.StreakState | None,
    children: Any,
) -> RitualDays:
    """A ritual's days from its recorded state and ``children``, streak_input_columns' JSON
    value of its timeline rows, check-ins and pause spans."""
    schedules, checkin_rows, pause_rows = decode(children)
    timeline = timeline_from_json(ritual, couple, schedules)
    start = (
        recorded.finalized_through
        if recorded is not None
        else ritual_today(ritual, couple, timeline, instant) - timedelta(days=2)
    )
    days = RitualDays.of(ritual, couple, timeline)
    for local_date, user_id in decode(checkin_rows):
        day = as_date(local_date)
        assert day is not None
        if day > start:
            days.checkins[day].add(user_id)
    for paused_from, resumed_on in decode(pause_rows):
        resumed = as_date(resumed_on)
        if resumed is None or resumed > start:
            days.pauses.append((as_date(paused_from), resumed))  # type: ignore[arg-type]
    return days


def live_streak(
    couple: Couple, instant: datetime, ritual: Ritual, inputs: Sequence[Any]
) -> dict[str, Any]:
    """A live ritual's streak view at ``instant`` from streak_input_columns' values."""
    width = len(_STATE_COLUMNS)
    recorded = _recorded_state(inputs[:width])
    days = _ritual_days(couple, instant, ritual, recorded, inputs[width])
    return _streak_view(recorded, days, couple, instant)


@dataclass(slots=True)
class CheckInView:
    """A check-in as the history answers it: its columns (no ORM object is loaded)."""

    id: int
    ritual_id: int
    user_id: int
    local_date: date
    note: str | None
    client_id: str
    created_at: datetime


@functools.cache
def _check_ins_statement(since: bool, until: bool) -> PagedSelect:
    """list_check_ins' SELECT, built once per filter: bound ``ritual_id``, ``couple_id``,
    ``from``, ``to``.

    From the live ritual, its check-ins outer-joined: the ritual's check (a 404) and the page
    in one round trip (two before).
    """
    on = [_CHECK_INS.ritual_id == _RITUALS.id]
    if since:
        on.append(_CHECK_INS.local_date >= bindparam("from", type_=Date))
    if until:
        on.append(_CHECK_INS.local_date <= bindparam("to", type_=Date))
    stmt = (
        select(*(getattr(_CHECK_INS, name) for name in CheckInView.__slots__))
        .select_from(Ritual.__table__)
        .where(
            _RITUALS.id == bindparam("ritual_id"),
            _RITUALS.couple_id == bindparam("couple_id"),
            _RITUALS.deleted_at.is_(None),
        )
    )
    keyset = by_day(_CHECK_INS.local_date, _CHECK_INS.id)
    return paged(stmt, keyset, outer_join=(CheckIn.__table__, and_(*on)))


def _refuse_reversed_range(from_: date | None, to: date | None) -> None:
    if from_ and to and from_ > to:
        raise Invalid("from", N_("from must not be after to."))


def list_check_ins(
    session: Session,
    *,
    couple: Couple,
    ritual_id: int,
    from_: date | None,
    to: date | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """The ritual's check-ins, newest day first, optionally within [from_, to]: one SELECT."""
    statement = _check_ins_statement(bool(from_), bool(to))
    params = {"ritual_id": ritual_id, "couple_id": couple.id, "from": from_, "to": to}
    try:
        query, bound = page_statement(statement, params, limit=limit, cursor=cursor)
    except Invalid:
        # Not a cursor we gave out: answered in the order of before the fold (a ritual not
        # ours, then the range, then the cursor), the ritual read for it alone.
        get_ritual(session, couple=couple, ritual_id=ritual_id)
        _refuse_reversed_range(from_, to)
        raise
    rows = execute_core(session, query, bound).all()
    if not rows:
        raise RitualNotFound(N_("No such ritual."))
    _refuse_reversed_range(from_, to)  # after the ritual's check, as before
    # One row of NULLs: the live ritual has no check-in on this page.
    items = [CheckInView(*row) for row in rows if row[0] is not None]
    return statement.keyset.page(items, limit)


# -- writes ---------------------------------------------------------------------------------


def _insert_ignore_any(session: Session, model: Any, values: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING (on any unique key) RETURNING id."""
    insert = conflict_insert(session.get_bind().dialect.name)
    stmt = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return execute_core(session, stmt).scalar_one_or_none()


def _column_param(column: Any) -> Any:
    """A bound parameter named and typed after a table column."""
    return bindparam(column.key, type_=column.type)


@functools.cache
def _load_for_check_in_statement(dialect: str) -> Select[Any]:
    """The SELECT of _load_for_check_in, built once per dialect.

    Bound parameters: ``since`` (a date), ``client_id``, ``partner_id`` (-1 without a
    partner), ``ritual_id``, ``couple_id``.
    """
    # The couple's check-in under client_id, whoever wrote it (_replay decides what it means).
    replay_id = (
        select(CheckIn.id)
        .where(
            CheckIn.couple_id == bindparam("couple_id"),
            CheckIn.client_id == bindparam("client_id"),
        )
        .scalar_subquery()
    )
    partner = aliased(User)
    return (
        select(
            Ritual,
            schedules_column(dialect, bindparam("since", type_=Date)),
            replay_id,
            partner,
            RitualTemplate,
        )
        .join_from(Ritual, partner, partner.id == bindparam("partner_id"), isouter=True)
        # The template it was made from: its titles name it in each reader's language.
        .join_from(Ritual, RitualTemplate, RitualTemplate.key == Ritual.template_key, isouter=True)
        .where(
            Ritual.id == bindparam("ritual_id"),
            Ritual.couple_id == bindparam("couple_id"),
            Ritual.deleted_at.is_(None),
        )
        .with_for_update(of=Ritual, key_share=True)
    )


def _load_for_check_in(
    session: Session, *, couple: Couple, user: User, ritual_id: int, client_id: str
) -> tuple[Ritual, Timeline, int | None, User | None, RitualTemplate | None]:
    """The ritual (locked), its recent timeline, a replay's id, the partner and the ritual's
    template (None if not made from one): one SELECT.

    The ritual row's lock (FOR NO KEY UPDATE: foreign keys to it stay free) serializes the two
    partners' check-ins of one ritual, so the second one sees the first (both complete,
    milestones) and neither write of its streak record is lost.
    """
    partner_id = couple.partner_of(user.id)
    row = session.execute(
        _load_for_check_in_statement(session.get_bind().dialect.name),
        {
            "since": now().astimezone(UTC).date() - RECENT,
            "client_id": client_id,
            "partner_id": partner_id if partner_id is not None else -1,
            "ritual_id": ritual_id,
            "couple_id": couple.id,
        },
    ).first()
    if row is None:
        raise RitualNotFound(N_("No such ritual."))
    ritual, schedules, replayed, partner_user, template = row
    timeline = timeline_from_json(ritual, couple, schedules)
    return ritual, timeline, replayed, partner_user, template


@functools.cache
def _insert_check_in_statement(dialect: str) -> Any:
    """The INSERT ... RETURNING of _insert_check_in, built once per dialect.

    Bound parameters: the check-in's columns (``ritual_id``, ``user_id``, ``local_date``,
    ``couple_id``, ``note``, ``client_id``, ``created_at``) and ``fresh_after`` (a date).
    """
    table = CheckIn.__table__
    columns = (
        "ritual_id",
        "user_id",
        "local_date",
        "couple_id",
        "note",
        "client_id",
        "created_at",
    )
    rid, uid, day = (_column_param(table.c[name]) for name in columns[:3])
    finalized = (
        select(StreakRecord.finalized_through)
        .where(StreakRecord.ritual_id == rid)
        .scalar_subquery()
    )
    after = func.coalesce(finalized, bindparam("fresh_after", type_=Date))
    record = json_rows(
        dialect,
        [
            StreakRecord.current,
            StreakRecord.longest,
            StreakRecord.freezes_available,
            StreakRecord.last_completed_date,
            StreakRecord.run_started_on,
            StreakRecord.finalized_through,
        ],
        StreakRecord.ritual_id == rid,
        own=[StreakRecord],
    )
    other = aliased(CheckIn)
    checkins = json_rows(
        dialect,
        [other.local_date, other.user_id],
        other.ritual_id == rid,
        other.local_date > after,
        ~and_(other.user_id == uid, other.local_date == day),
        own=[other],
    )
    pauses = _pause_spans_after(dialect, rid, after)
    return (
        conflict_insert(dialect)(CheckIn)
        .values({name: _column_param(table.c[name]) for name in columns})
        .on_conflict_do_nothing()
        .returning(CheckIn.id, record, checkins, pauses)
    )


def _insert_check_in(
    session: Session, values: dict[str, Any], *, fresh_after: date
) -> tuple[int, StreakRecord | None, list[list[Any]], list[list[Any]]] | None:
    """INSERT the check-in (None on a duplicate), RETURNING its id and what the streak needs.

    The same statement returns the ritual's streak record and its check-ins and pause spans
    after the record's finalized_through (``fresh_after`` without a record), each as JSON. It
    runs after the ritual's lock, so its snapshot holds the partner's committed check-in. The
    new row itself is left out (whether a statement sees its own insert differs by database).
    """
    row = execute_core(
        session,
        _insert_check_in_statement(session.get_bind().dialect.name),
        {**values, "fresh_after": fresh_after},
    ).first()
    if row is None:
        return None
    rid = values["ritual_id"]
    new_id, record_rows, checkin_rows, pause_rows = row
    stored = None
    for current, longest, freezes, last_completed, run_started, finalized_through in decode(
        record_rows
    ):
        stored = StreakRecord(
            ritual_id=rid,
            current=current,
            longest=longest,
            freezes_available=freezes,
            last_completed_date=as_date(last_completed),
            run_started_on=as_date(run_started),
            finalized_through=as_date(finalized_through),
        )
    return new_id, stored, decode(checkin_rows), decode(pause_rows)


@functools.cache
def _save_record_statement(dialect: str) -> Any:
    """The streak record's upsert, built once per dialect; its columns are bound parameters."""
    table = StreakRecord.__table__
    columns = (*_STATE_COLUMNS, "updated_at")
    stmt = conflict_insert(dialect)(StreakRecord).values(
        {name: _column_param(table.c[name]) for name in ("ritual_id", *columns)}
    )
    return stmt.on_conflict_do_update(
        index_elements=[StreakRecord.ritual_id],
        set_={name: stmt.excluded[name] for name in columns},
    )


def _record_upsert(
    dialect: str, ritual_id: int, state: engine.StreakState
) -> tuple[Any, dict[str, Any]]:
    """(statement, params) creating or updating the ritual's streak record (the ritual is
    locked: its row is ours)."""
    return _save_record_statement(dialect), {
        "ritual_id": ritual_id,
        "current": state.current,
        "longest": state.longest,
        "freezes_available": state.freezes_available,
        "last_completed_date": state.last_completed_date,
        "run_started_on": state.run_started_on,
        "finalized_through": state.finalized_through,
        "updated_at": now(),
    }


def check_in(
    session: Session,
    *,
    couple: Couple,
    user: User,
    ritual_id: int,
    client_id: str,
    local_date: date | None = None,
    note: str | None = None,
) -> tuple[CheckIn, bool]:
    """Record the caller's check-in; returns it and whether it is new (False: a replay).

    Round trips: the locked ritual with its timeline and template (one SELECT), the check-in's
    INSERT that returns the streak's inputs, one INSERT of every notification with the streak
    record's upsert when its state changed (one statement on PostgreSQL, two on SQLite), and
    the COMMIT.
    """
    ritual, timeline, replayed, partner, template = _load_for_check_in(
        session, couple=couple, user=user, ritual_id=ritual_id, client_id=client_id
    )
    if replayed is not None:
        replay = _replay(session, couple=couple, user=user, ritual=ritual, client_id=client_id)
        assert replay is not None
        return replay, False

    instant = now()
    today = ritual_today(ritual, couple, timeline, instant)
    yesterday = today - timedelta(days=1)
    days = RitualDays.of(ritual, couple, timeline)
    reminded = _reminded_day(ritual, timeline, instant, days.skipped)
    day = local_date or reminded or today
    if day not in (today, yesterday, reminded):
        raise Invalid(
            "local_date",
            N_("Only today (%(today)s) or yesterday (%(yesterday)s) can be checked in."),
            today=today.isoformat(),
            yesterday=yesterday.isoformat(),
        )
    if not days.scheduled(day):
        raise Invalid(
            "local_date", N_("%(day)s is not a scheduled day of this ritual."), day=day.isoformat()
        )

    # no check-in ever: nothing before yesterday can matter
    fresh_after = today - timedelta(days=2)
    values = {
        "ritual_id": ritual.id,
        "user_id": user.id,
        "local_date": day,
        "couple_id": couple.id,
        "note": note,
        "client_id": client_id,
        "created_at": instant,
    }
    inserted = _insert_check_in(session, values, fresh_after=fresh_after)
    if inserted is None:
        session.rollback()
        replay = _replay(session, couple=couple, user=user, ritual=ritual, client_id=client_id)
        if replay is not None:
            return replay, False
        raise AlreadyCheckedIn(N_("You already checked in for %(day)s."), day=day.isoformat())
    new_id, stored, checkin_rows, pause_rows = inserted
    record = stored or StreakRecord(
        ritual_id=ritual.id,
        current=0,
        longest=0,
        freezes_available=0,
        finalized_through=fresh_after,
    )
    if day <= record.finalized_through:
        # Only after the couple's day moved backwards (a flight west): that day is settled.
        session.rollback()
        raise Invalid(
            "local_date",
            N_("%(day)s is already settled for this ritual's streak."),
            day=day.isoformat(),
        )
    # Not added to the session: the row is written; this is its value for the response.
    checkin = CheckIn(id=new_id, **values)

    if record.finalized_through < timeline.entries[0][0]:
        timeline = load_timelines(session, couple, [ritual], {ritual.id: record.finalized_through})[
            ritual.id
        ]
        days.timeline = timeline
    days.checkins[day].add(user.id)
    for other_date, other_user in checkin_rows:
        days.checkins[as_date(other_date)].add(other_user)  # type: ignore[index]
    days.pauses.extend((as_date(a), as_date(b)) for a, b in pause_rows)  # type: ignore[misc]
    state, events = _catch_up(record.state, days, today - timedelta(days=2))
    _, provisional = engine.provisional(
        state,
        pending=_pending(state, days, today),
        today=days.day(today),
        later=days.later(today),
    )
    locales = {user.id: user.locale}
    if partner is not None:
        locales[partner.id] = partner.locale
    notifications = _partner_notification(
        couple=couple,
        user=user,
        ritual=ritual,
        template=template,
        checkin=checkin,
        days=days,
        today=today,
    )
    for ev in [*events, *provisional]:
        if ev.kind == "milestone":
            notifications.extend(
                _milestone_notifications(couple=couple, ritual=ritual, template=template, event=ev)
            )
    changed = stored is None or state != record.state
    notify_many(
        session,
        [
            {
                **item,
                "title": item["title"].render(locales.get(item["recipient_id"])),
                "body": item["body"].render(locales.get(item["recipient_id"])),
            }
            for item in notifications
        ],
        # The record's upsert goes with the notifications' INSERT (one round trip on PostgreSQL).
        alongside=_record_upsert(session.get_bind().dialect.name, ritual.id, state)
        if changed
        else None,
    )
    session.commit()
    return checkin, True


def _replay(
    session: Session, *, couple: Couple, user: User, ritual: Ritual, client_id: str
) -> CheckIn | None:
    """The caller's check-in a retry repeats; 409 when client_id is the partner's or another
    ritual's (api/idempotency.py)."""
    existing = idempotency.replayed(
        session, CheckIn.user_id, couple_id=couple.id, client_id=client_id, user_id=user.id
    )
    if existing is not None and existing.ritual_id != ritual.id:
        raise ClientIdReused(N_("This client_id was used for a check-in of another ritual."))
    return existing


def _partner_notification(
    *,
    couple: Couple,
    user: User,
    ritual: Ritual,
    template: RitualTemplate | None,
    checkin: CheckIn,
    days: RitualDays,
    today: date,
) -> list[dict[str, Any]]:
    """The partner's "logged it" push (none without a partner), with Text to render."""
    partner_id = couple.partner_of(user.id)
    if partner_id is None:
        return []
    yesterday = checkin.local_date < today
    your_turn = ritual.completion == "both" and partner_id not in days.checkins.get(
        checkin.local_date, ()
    )
    # Whole sentences, one per case: translators never see a fragment to glue.
    if yesterday and your_turn:
        message = N_("%(name)s logged yesterday's %(ritual)s: your turn")
    elif yesterday:
        message = N_("%(name)s logged yesterday's %(ritual)s")
    elif your_turn:
        message = N_("%(name)s logged your %(ritual)s: your turn")
    else:
        message = N_("%(name)s logged your %(ritual)s")
    return [
        {
            "recipient_id": partner_id,
            "couple_id": couple.id,
            "category": "partner_checkin",
            "title": ritual_title(ritual, template),
            "body": text(message, name=_name(user), ritual=ritual_phrase(ritual, template)),
            "data": {
                "ritual_id": str(ritual.id),
                "check_in_id": str(checkin.id),
                "local_date": checkin.local_date.isoformat(),
            },
            "dedupe_key": f"partner_checkin:{checkin.id}",
        }
    ]


def _milestone_notifications(
    *, couple: Couple, ritual: Ritual, template: RitualTemplate | None, event: engine.Event
) -> list[dict[str, Any]]:
    """Both partners' milestone pushes, with Text to render."""
    # run_started_on in the key: once per run, however often the run's days are re-folded
    return [
        {
            "recipient_id": recipient_id,
            "couple_id": couple.id,
            "category": "streak_milestone",
            "title": text(N_("%(count)s in a row!"), count=event.value),
            "body": text(
                N_("Your %(ritual)s streak reached %(count)s. Keep it going."),
                ritual=ritual_phrase(ritual, template),
                count=event.value,
            ),
            "data": {"ritual_id": str(ritual.id), "milestone": str(event.value)},
            "dedupe_key": (
                f"streak_milestone:{ritual.id}:{event.run_started_on}:{event.value}:{recipient_id}"
            ),
        }
        for recipient_id in couple.partner_ids
    ]


def _reminded_day(
    ritual: Ritual, timeline: Timeline, instant: datetime, skipped: frozenset[date]
) -> date | None:
    """The day a check-in now counts for when a moment decides it, else None (today).

    A check-in in the hour after an occurrence, or after a reminder, counts for that day,
    even when the reminder fired in the day before (minutes_before) or its day has just ended.
    """
    return check_in_day_at(
        timeline,
        instant,
        lead=timedelta(minutes=ritual.reminder_minutes_before),
        window=CHECK_IN_AFTER_REMINDER,
        skipped=skipped,
    )


def nudge(session: Session, *, couple: Couple, user: User, ritual_id: int) -> Nudge:
    """Send the partner a gentle push; one per ritual, three in all per sender and day, else 429.

    409 when today needs nothing more from the partner: they checked in, or anyone did on an
    "either" ritual.
    """
    ritual = get_ritual(session, couple=couple, ritual_id=ritual_id)
    instant = now()
    # "Today" is the day the partner's check-in now would count for: the ritual's own day (its
    # zone may not be the couple's), or the occurrence's just after it (a Monday 01:30 kiss in
    # Sunday's small hours). The three a day in all are counted by the couple's day.
    timeline = recent_timeline(session, couple, ritual, instant)
    skipped = RitualDays.of(ritual, couple, timeline).skipped
    today = _reminded_day(ritual, timeline, instant, skipped) or ritual_today(
        ritual, couple, timeline, instant
    )
    refuse_nudge_unless_due(ritual, timeline=timeline, today=today)
    partner_id = couple.partner_of(user.id)
    checked_in = set(
        session.scalars(
            select(CheckIn.user_id).where(
                CheckIn.ritual_id == ritual.id, CheckIn.local_date == today
            )
        )
    )
    if partner_id is not None and partner_id in checked_in:
        raise PartnerAlreadyDone(N_("Your partner has already checked in today."))
    # One check-in by anyone completes an "either" day: the partner has nothing left to do.
    if ritual.completion == "either" and checked_in:
        raise DayAlreadyComplete(
            N_("Today's check-in is done: nothing is waiting for your partner.")
        )
    values = {
        "ritual_id": ritual.id,
        "sender_id": user.id,
        "local_date": today,
        "created_at": instant,
    }
    nudge_id = _insert_ignore_any(session, Nudge, values)
    if nudge_id is None:
        session.rollback()
        raise NudgeLimit(
            N_("You already nudged for this ritual today."),
            retry_after=timeline.seconds_until_next_day(instant),
        )
    # Counted apart from the nudge rows, which go with their ritual: deleting and re-creating
    # rituals does not give nudges back.
    couple_day = couple_current_day(session, couple, instant)  # the lasting day
    if not quotas.take(
        session,
        user_id=user.id,
        scope=f"nudge:couple:{couple.id}",
        day=couple_day,
        limit=NUDGES_PER_DAY,
    ):
        session.rollback()
        raise NudgeLimit(
            N_("You can nudge at most %(limit)s times a day."),
            limit=NUDGES_PER_DAY,
            retry_after=seconds_until_next_day(couple, instant, couple_day),
        )
    if partner_id is not None:
        template = templates_of(session, [ritual]).get(ritual.template_key or "")
        notify(
            session,
            recipient_id=partner_id,
            couple_id=couple.id,
            category="partner_nudge",
            title=ritual_title(ritual, template),
            body=text(
                N_("%(name)s is waiting for your %(ritual)s"),
                name=_name(user),
                ritual=ritual_phrase(ritual, template),
            ),
            data={"ritual_id": str(ritual.id), "nudge_id": str(nudge_id)},
            dedupe_key=f"partner_nudge:{nudge_id}",
            collapse_key=f"partner_nudge:{ritual.id}",
            ttl_seconds=timeline.seconds_until_next_day(instant),
        )
    session.commit()
    # What was written, not read back: the row may be gone already (its ritual deleted).
    return Nudge(id=nudge_id, **values)


# -- the evening at-risk push ---------------------------------------------------------------

AT_RISK_BATCH = 200


def send_at_risk_nudges(session: Session) -> int:
    """Push "your streak is at risk" for every ritual due one now; returns how many rituals.

    A ritual is due when it is past AT_RISK_AFTER in its own day (its zone), today is a scheduled,
    unpaused day still incomplete, and the streak is at least AT_RISK_MIN_CURRENT. The dedupe
    key (ritual, couple-day, recipient) keeps it to one per ritual per day, however often the
    clock runs.
    """
    instant = now()
    sent = 0
    last_id = 0
    while True:
        batch = list(
            session.execute(
                select(Ritual, Couple)
                .join(StreakRecord, StreakRecord.ritual_id == Ritual.id)
                .join(Couple, Couple.id == Ritual.couple_id)
                .where(
                    Ritual.id > last_id,
                    Ritual.deleted_at.is_(None),
                    Ritual.paused.is_(False),
                    Couple.unpaired_at.is_(None),
                    # Only these can show current >= 2 today: a finalized streak alive, or
                    # check-ins so recent that the days after finalized_through hold a run.
                    # (Check-ins only ever exist up to two days after finalized_through; every
                    # local "today" is within a day of the UTC date.)
                    or_(
                        StreakRecord.current >= 1,
                        StreakRecord.finalized_through >= instant.date() - timedelta(days=4),
                    ),
                )
                .order_by(Ritual.id)
                .limit(AT_RISK_BATCH)
            )
        )
        if not batch:
            break
        last_id = batch[-1][0].id
        templates: dict[str, RitualTemplate] | None = None  # read once, when a push needs them
        by_couple: dict[int, tuple[Couple, list[Ritual]]] = {}
        for ritual, couple in batch:
            by_couple.setdefault(couple.id, (couple, []))[1].append(ritual)
        pushes: dict[str, int] = {}  # dedupe_key -> ritual id
        notifications: list[dict[str, Any]] = []
        for couple, rituals in by_couple.values():
            # Only rituals in their evening now, by the zone in force (the view below judges
            # by the schedule of the ritual's day; they differ only on the day of an edit).
            ids = [
                r.id
                for r in rituals
                if engine.is_after(
                    Schedule((), r.time, r.timezone, couple.day_starts_at).local_time(instant),
                    AT_RISK_AFTER,
                    couple.day_starts_at,
                )
            ]
            if not ids:
                continue
            for recorded, days in _streak_inputs(session, couple, instant, ritual_ids=ids):
                view = _streak_view(recorded, days, couple, instant)
                if view["at_risk"] and view["current"] >= AT_RISK_MIN_CURRENT:
                    if templates is None:
                        templates = templates_of(session, (ritual for ritual, _ in batch))
                    template = templates.get(days.ritual.template_key or "")
                    for item in _at_risk_notifications(
                        couple, days, template, view["current"], instant
                    ):
                        pushes[item["dedupe_key"]] = days.ritual.id
                        notifications.append(item)
        if notifications:
            locales = dict(
                session.execute(
                    select(User.id, User.locale).where(
                        User.id.in_({n["recipient_id"] for n in notifications})
                    )
                ).all()
            )
            for item in notifications:
                locale = locales.get(item["recipient_id"])
                item["title"] = item["title"].render(locale)
                item["body"] = item["body"].render(locale)
            written = notify_many_keyed(session, notifications)
            sent += len({pushes[key] for key in written})
        session.commit()
    return sent


def _at_risk_notifications(
    couple: Couple,
    days: RitualDays,
    template: RitualTemplate | None,
    current: int,
    instant: datetime,
) -> list[dict[str, Any]]:
    """The "keep it going" pushes of one ritual, with Text to render in each one's language."""
    ritual = days.ritual
    # The ritual's own day (its zone may not be the couple's), as the streak view used.
    today = ritual_today(ritual, couple, days.timeline, instant)
    done = days.checkins.get(today, set())
    # For `both` rituals only the partner who has not checked in yet is reminded.
    return [
        {
            "recipient_id": recipient_id,
            "couple_id": couple.id,
            "category": "streak_at_risk",
            "title": text(N_("Keep your %(count)s going"), count=current),
            "body": text(
                N_("Your %(ritual)s streak is at %(count)s. Log it tonight to keep it going."),
                ritual=ritual_phrase(ritual, template),
                count=current,
            ),
            "data": {"ritual_id": str(ritual.id), "local_date": today.isoformat()},
            "dedupe_key": f"streak_at_risk:{ritual.id}:{today}:{recipient_id}",
            "collapse_key": f"streak_at_risk:{ritual.id}",
            "ttl_seconds": days.timeline.seconds_until_next_day(instant),
        }
        for recipient_id in couple.partner_ids
        if recipient_id not in done
    ]
