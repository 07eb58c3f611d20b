"""On this day: at 09:00 couple-local, memories of this calendar day and the anniversary.

Each couple with memories or an anniversary has one OnThisDaySchedule row whose
``next_due_at`` is the 09:00 (couple-local, through zoneinfo, so DST days are right) of the
next calendar day on which something comes round: a memory's day in a later year, or the
anniversary. The clock claims due rows by that index with SKIP LOCKED, pushes, and moves the
row to the next such day, so a tick costs what is due, not how many couples or memories exist.
A memory of 29 February comes round on 28 February in the years without one.

Whatever changes the answer moves the row: a memory created, edited or deleted (the service
calls refresh) and a couple's time zone or anniversary changing (the listener below).
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from api.clock import now
from api.db_utils import conflict_insert, execute_core, for_update_skip_locked
from api.i18n import N_, ntranslate, translate
from api.memories.models import Memory, OnThisDaySchedule, month_day
from api.notifications.service import notify_many
from api.pairing.models import Couple
from api.users.models import User

log = logging.getLogger(__name__)

PUSH_AT = time(9, 0)
# A push not made within this long after 09:00 (the clock was down) waits for the next year:
# "a memory from 2 years ago today" at 18:00 would be a stale surprise, not a ritual.
LATE_LIMIT = timedelta(hours=3)
BATCH_SIZE = 500
LEAP_DAY = 229
FEB_28 = 228


def local_date(couple: Couple, instant: datetime) -> date:
    """The calendar date on the couple's wall clock at instant."""
    return instant.astimezone(ZoneInfo(couple.timezone)).date()


def push_instant(couple: Couple, day: date) -> datetime:
    """The UTC instant of 09:00 on the couple's wall clock on day (zoneinfo picks the offset)."""
    return datetime.combine(day, PUSH_AT, tzinfo=ZoneInfo(couple.timezone)).astimezone(UTC)


def due_day(tz: str, due: datetime) -> date:
    """The day whose push a schedule's next_due_at (read in zone tz) is for.

    Its wall date, 09:00 there; before 09:00 it is the day before's, filed at the move east
    that put that day's 09:00 behind the couple (_owed_after_move).
    """
    wall = due.astimezone(ZoneInfo(tz))
    return wall.date() if wall.time() >= PUSH_AT else wall.date() - timedelta(days=1)


def month_days_of(day: date) -> tuple[int, ...]:
    """The memories' calendar days that come round on day: Feb 29's on Feb 28 of common years."""
    md = month_day(day)
    if md == FEB_28 and not calendar.isleap(day.year):
        return (md, LEAP_DAY)
    return (md,)


def _occurrence(md: int, year: int) -> date:
    """Where the calendar day md falls in year (Feb 29 -> Feb 28 in a common year)."""
    if md == LEAP_DAY and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, md // 100, md % 100)


def next_day(earliest: dict[int, int], start: date) -> date | None:
    """The first day from start on which a calendar day of earliest comes round in a later year.

    earliest maps each calendar day (month*100+day) to the first year it happened.
    """
    best: date | None = None
    for md, first_year in earliest.items():
        # Two years ahead is always enough: every calendar day falls once a year.
        for year in range(max(start.year, first_year + 1), start.year + 3):
            day = _occurrence(md, year)
            if day >= start:
                if best is None or day < best:
                    best = day
                break
    return best


def next_due_at(
    couple: Couple, earliest: dict[int, int], *, after: datetime, not_before: date | None = None
) -> datetime | None:
    """The 09:00 instant of the next day with something to bring back, strictly after after."""
    if couple.unpaired_at is not None:
        return None
    today = local_date(couple, after)
    start = today if after < push_instant(couple, today) else today + timedelta(days=1)
    if not_before is not None and not_before > start:
        start = not_before
    day = next_day(_with_anniversary(earliest, couple), start)
    return push_instant(couple, day) if day is not None else None


def _with_anniversary(earliest: dict[int, int], couple: Couple) -> dict[int, int]:
    if couple.anniversary is None:
        return earliest
    md = month_day(couple.anniversary)
    merged = dict(earliest)
    merged[md] = min(merged.get(md, couple.anniversary.year), couple.anniversary.year)
    return merged


def earliest_years(session: Session, couple_ids: list[int]) -> dict[int, dict[int, int]]:
    """Per couple, each calendar day of its memories -> the first year one happened (one query)."""
    rows = session.execute(
        select(Memory.couple_id, Memory.happened_md, func.min(Memory.happened_on))
        .where(Memory.couple_id.in_(couple_ids))
        .group_by(Memory.couple_id, Memory.happened_md)
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for couple_id, md, first in rows:
        # SQLite hands back MIN() of a date column as text.
        found[couple_id][md] = (
            first if isinstance(first, date) else date.fromisoformat(first)
        ).year
    return found


def refresh(
    session: Session,
    *,
    couple: Couple,
    moment: datetime | None = None,
    moved_from: str | None = None,
) -> None:
    """Recompute the couple's next push (after a memory or the couple changed).

    ``moved_from`` is the couple's zone before a move: a push the move put behind the couple
    is kept, owed.
    """
    moment = moment or now()
    # The schedule row is locked before the memories are read: two memories written at once
    # (both partners) each computed the next push from a snapshot without the other's, and
    # the last upsert won, so the other memory's day passed without a push. Now the second
    # waits for the first to commit and reads both.
    _lock(session, couple.id)
    earliest = earliest_years(session, [couple.id]).get(couple.id, {})
    due = next_due_at(couple, earliest, after=moment)
    if moved_from is not None and couple.unpaired_at is None:
        due = _owed_after_move(session, couple, moved_from, moment) or due
    _upsert(session, couple.id, due)


def _owed_after_move(
    session: Session, couple: Couple, moved_from: str, moment: datetime
) -> datetime | None:
    """When the push the couple was owed in the old zone falls due now; None if none is.

    Moving east, a day's 09:00 still ahead (or due, not yet sent) in the old zone can be behind
    in the new one: recomputed from now it was skipped for the next memory's day. It stays
    due, judged late from its old instant or the move, whichever is earlier, and filed inside
    its own day in the new zone (due_day reads it back).
    """
    row = session.execute(
        select(OnThisDaySchedule.next_due_at, OnThisDaySchedule.last_sent_on).where(
            OnThisDaySchedule.couple_id == couple.id
        )
    ).one_or_none()
    if row is None or row.next_due_at is None:
        return None
    day = due_day(moved_from, row.next_due_at)
    opens = push_instant(couple, day)
    if row.last_sent_on == day or opens > moment:
        return None  # sent already, or still ahead in the new zone: from now finds it
    closes = push_instant(couple, day + timedelta(days=1)) - timedelta(microseconds=1)
    return max(opens, min(row.next_due_at, moment, closes))


def _lock(session: Session, couple_id: int) -> None:
    """Lock the couple's schedule row, making it if there is none: one statement."""
    stmt = conflict_insert(session.get_bind().dialect.name)(OnThisDaySchedule).values(
        couple_id=couple_id, next_due_at=None
    )
    execute_core(
        session,
        # Setting the key to itself changes nothing but takes the row's lock.
        stmt.on_conflict_do_update(
            index_elements=["couple_id"], set_={"couple_id": stmt.excluded.couple_id}
        ),
    )


def _upsert(session: Session, couple_id: int, due: datetime | None) -> None:
    stmt = conflict_insert(session.get_bind().dialect.name)(OnThisDaySchedule).values(
        couple_id=couple_id, next_due_at=due
    )
    execute_core(
        session,
        stmt.on_conflict_do_update(index_elements=["couple_id"], set_={"next_due_at": due}),
    )
    # The session may hold the row from an earlier read: never trust its copy after this.
    held = session.identity_map.get(
        inspect(OnThisDaySchedule).identity_key_from_primary_key((couple_id,))
    )
    if held is not None:
        session.expire(held)


@event.listens_for(Session, "before_flush")
def _couple_changed(session: Session, flush_context: Any, instances: Any) -> None:
    """A couple's time zone or anniversary moved: so does its next push (any writer, any path)."""
    for couple in list(session.dirty):
        if not isinstance(couple, Couple):
            continue
        state = inspect(couple)
        if not any(
            state.attrs[name].history.has_changes()
            for name in ("timezone", "anniversary", "unpaired_at")
        ):
            continue
        moved_from = state.attrs.timezone.history.deleted
        with session.no_autoflush:
            refresh(session, couple=couple, moved_from=moved_from[0] if moved_from else None)


# -- the clock --------------------------------------------------------------------------------


@dataclass
class TickResult:
    """What one tick did."""

    couples: int = 0
    notifications: int = 0
    skipped_late: int = 0

    @property
    def claimed(self) -> int:
        return self.couples + self.skipped_late


def run_due(session: Session, *, moment: datetime, batch_size: int = BATCH_SIZE) -> TickResult:
    """Push every "on this day" due at moment, one committed batch at a time."""
    result = TickResult()
    while True:
        rows = session.execute(
            select(OnThisDaySchedule, Couple)
            .join(Couple, Couple.id == OnThisDaySchedule.couple_id)
            .where(OnThisDaySchedule.next_due_at <= moment)
            .order_by(OnThisDaySchedule.next_due_at)
            .limit(batch_size)
            .with_for_update(of=OnThisDaySchedule, **for_update_skip_locked(session))
        ).all()
        if not rows:
            session.commit()
            return result
        _handle_batch(session, rows, moment, result)
        session.commit()


def _handle_batch(session: Session, rows: list[Any], moment: datetime, result: TickResult) -> None:
    couples = {couple.id: couple for _, couple in rows}
    days = {}
    for schedule, couple in rows:
        due = schedule.next_due_at
        days[couple.id] = due_day(couple.timezone, due)
        if moment - due > LATE_LIMIT or couple.unpaired_at is not None:
            result.skipped_late += couple.unpaired_at is None
            days[couple.id] = None  # nothing pushed for this day
    live = [cid for cid, day in days.items() if day is not None]
    matches = _memories_of_the_day(session, couples, days, live)
    people = _partners(session, [couples[cid] for cid in live])
    earliest = earliest_years(session, list(couples))
    pushes: list[dict[str, Any]] = []
    for schedule, couple in rows:
        day = days[couple.id]
        if day is not None and schedule.last_sent_on != day:
            pushes.extend(_push(couple, day, matches.get(couple.id, []), people))
            schedule.last_sent_on = day
            result.couples += 1
        # The next day with something to bring back, after the one just handled.
        handled = due_day(couple.timezone, schedule.next_due_at)
        schedule.next_due_at = next_due_at(
            couple,
            earliest.get(couple.id, {}),
            after=moment,
            not_before=handled + timedelta(days=1),
        )
    # One statement per 500 pushes, not a round trip each: a 09:00 tick writes thousands.
    result.notifications += len(notify_many(session, pushes))


def _memories_of_the_day(
    session: Session, couples: dict[int, Couple], days: dict[int, date | None], live: list[int]
) -> dict[int, list[tuple[int, date]]]:
    """Per couple, (id, happened_on) of its memories that come round on its day (one query)."""
    if not live:
        return {}
    wanted = {md for cid in live for md in month_days_of(days[cid])}  # type: ignore[arg-type]
    rows = session.execute(
        select(Memory.couple_id, Memory.id, Memory.happened_on)
        .where(Memory.couple_id.in_(live), Memory.happened_md.in_(wanted))
        .order_by(Memory.happened_on.desc(), Memory.id.desc())
    )
    found: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for couple_id, memory_id, happened_on in rows:
        day = days[couple_id]
        assert day is not None
        if month_day(happened_on) in month_days_of(day) and happened_on.year < day.year:
            found[couple_id].append((memory_id, happened_on))
    return found


def _partners(session: Session, couples: list[Couple]) -> dict[int, User]:
    ids = [uid for couple in couples for uid in couple.partner_ids]
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


# Texts of the pushes: no user text, only numbers and dates (API.md).
MEMORY_ONE = (N_("A memory from %(n)s year ago today"), N_("A memory from %(n)s years ago today"))
MEMORY_MANY = (N_("%(n)s memory from this day"), N_("%(n)s memories from this day"))
ANNIVERSARY = (N_("%(n)s year together today"), N_("%(n)s years together today"))
MEMORY_BODY = N_("Open Hearth to look back together.")
ANNIVERSARY_BODY = N_("Take a moment to remember how it all began.")


def _push(
    couple: Couple, day: date, memories: list[tuple[int, date]], people: dict[int, User]
) -> list[dict[str, Any]]:
    """The day's notifications for both partners, each in the partner's language."""
    anniversary_years = 0
    if couple.anniversary is not None and month_day(couple.anniversary) in month_days_of(day):
        anniversary_years = day.year - couple.anniversary.year
    written: list[dict[str, Any]] = []
    for user_id in couple.partner_ids:
        user = people.get(user_id)
        if user is None:
            continue
        locale = user.locale
        base = {"couple_id": str(couple.id), "local_date": day.isoformat()}
        if memories:
            if len(memories) == 1:
                title = ntranslate(locale, *MEMORY_ONE, day.year - memories[0][1].year)
            else:
                title = ntranslate(locale, *MEMORY_MANY, len(memories))
            written.append(
                {
                    "recipient_id": user_id,
                    "couple_id": couple.id,
                    "category": "memory",
                    "title": title,
                    "body": translate(locale, MEMORY_BODY),
                    "data": {
                        **base,
                        "event": "on_this_day",
                        "memory_ids": ",".join(str(mid) for mid, _ in memories),
                    },
                    "dedupe_key": f"on-this-day:{couple.id}:{day.isoformat()}:{user_id}",
                }
            )
        if anniversary_years > 0:
            written.append(
                {
                    "recipient_id": user_id,
                    "couple_id": couple.id,
                    "category": "memory",
                    "title": ntranslate(locale, *ANNIVERSARY, anniversary_years),
                    "body": translate(locale, ANNIVERSARY_BODY),
                    "data": {**base, "event": "anniversary", "years": str(anniversary_years)},
                    "dedupe_key": f"anniversary:{couple.id}:{day.isoformat()}:{user_id}",
                }
            )
    return written
