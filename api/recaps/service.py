"""The weekly recap: built from the sections for any run of weeks, and the Sunday push."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Mapper, Session

from api.clock import now
from api.db_utils import conflict_insert, execute_core, for_update_skip_locked
from api.errors import NotFound
from api.i18n import N_, translate
from api.lifecycle import couple_unpaired
from api.moods.service import iso_week, week_start
from api.notifications.service import notify
from api.pagination import cursor_day, not_a_cursor, read_cursor
from api.pairing.models import Couple
from api.recaps.models import RecapSchedule, RecapStreak
from api.recaps.sections import SECTIONS, RecapQuery, Week
from api.rituals.history import load_timelines
from api.rituals.schedule import resolve_local
from api.streaks.days import (
    couple_current_day,
    couple_day,
    couple_today,
    current_day_statement,
    day_start,
    lasting_days,
    lasting_params,
    ritual_today,
)
from api.users.models import User

log = logging.getLogger(__name__)

PUSH_AT = time(19, 0)  # Sunday, couple-local
# A recap the clock could not send within this long of 19:00 (the service was down) waits for
# next week rather than arriving on Monday morning.
LATE_LIMIT = timedelta(hours=3)
# A week's streaks are recorded at its end; later than this, the new week's first check-ins
# could already be in them, so the week keeps no streaks rather than wrong ones.
SNAPSHOT_LATE_LIMIT = timedelta(minutes=30)
# One week's end (or Sunday 19:00) in any two zones lies within about a day of each other, so
# the week an instant filed in a schedule row belongs to is the one half a week away from it.
HALF_WEEK = timedelta(days=3, hours=12)
BATCH_SIZE = 500
RECAP_TITLE = N_("Your week together")
RECAP_BODY = N_(
    "Rituals done: %(rituals)s · Affirmations: %(affirmations)s · Gratitude: %(gratitude)s"
    " · Mood check-ins: %(moods)s"
)
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class RecapNotFound(NotFound):
    title = N_("No such recap")


# -- weeks ------------------------------------------------------------------------------------


def week(couple: Couple, monday: date) -> Week:
    """The couple's week starting on monday (its days begin at day_starts_at)."""
    return Week(
        monday=monday,
        start=day_start(couple, monday),
        end=day_start(couple, monday + timedelta(days=7)),
    )


def parse_week(label: str) -> date | None:
    """The Monday of an ISO week label `yyyy-Www`; None when there is no such week."""
    match = _WEEK_RE.match(label)
    if match is None:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:  # W00, W54, or W53 of a 52-week year
        return None


def _first_monday(couple: Couple) -> date:
    """The Monday of the week the couple paired in: their first recap."""
    return week_start(couple_today(couple, couple.paired_at))


# -- reads ------------------------------------------------------------------------------------


def recap_query(
    session: Session, *, couple: Couple, mondays: list[date], instant: datetime
) -> RecapQuery:
    """The sections' query of the given weeks at ``instant`` (its figures not read yet)."""
    weeks = [week(couple, m) for m in sorted(mondays)]
    return RecapQuery(session=session, couple=couple, weeks=weeks, instant=instant)


def render(query: RecapQuery) -> list[dict[str, Any]]:
    """The recaps of the query's weeks, newest first: each section runs once for all of them."""
    parts = {name: section(query) for name, section in SECTIONS}
    today = query.today  # the lasting day, read with the figures
    return [
        {
            "week": iso_week(w.monday),
            "starts_on": w.monday,
            "ends_on": w.sunday,
            "in_progress": w.monday <= today <= w.sunday,
            **{name: part[w.monday] for name, part in parts.items()},
        }
        for w in reversed(query.weeks)
    ]


def build(session: Session, *, couple: Couple, mondays: list[date]) -> list[dict[str, Any]]:
    """The recaps of the given weeks now, newest first."""
    if not mondays:
        return []
    return render(recap_query(session, couple=couple, mondays=mondays, instant=now()))


def _lived(session: Session, couple: Couple, monday: date, instant: datetime) -> bool:
    """Whether the week of ``monday`` has begun: it is not after the lasting day's week.

    The lasting day is never before the couple's day, so it is read (one statement) only for
    a week after the couple's day's: after a move west back across a Monday the week lived
    lasts, never the week before it.
    """
    if monday <= week_start(couple_day(couple, instant)):
        return True
    return monday <= week_start(couple_current_day(session, couple, instant))


def get(session: Session, *, couple: Couple, label: str) -> dict[str, Any]:
    """One week's recap (the current one so far); 404 outside the couple's weeks."""
    monday = parse_week(label)
    instant = now()
    if (
        monday is None
        or monday < _first_monday(couple)
        or not _lived(session, couple, monday, instant)
    ):
        raise RecapNotFound(N_("The couple has no recap for this week."))
    return render(recap_query(session, couple=couple, mondays=[monday], instant=instant))[0]


def _mondays(newest: date, oldest: date, limit: int) -> list[date]:
    """Up to limit Mondays from newest back to oldest."""
    mondays = []
    monday = newest
    while monday >= oldest and len(mondays) < limit:
        mondays.append(monday)
        monday -= timedelta(weeks=1)
    return mondays


def list_recaps(
    session: Session, *, couple: Couple, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of recaps, newest first, from the current week back to the pairing week."""
    instant = now()
    oldest = _first_monday(couple)
    if cursor is not None:
        monday = _decode_cursor(cursor, oldest=oldest)
        if not _lived(session, couple, monday, instant):
            raise not_a_cursor()  # a week still to come was never given out
        newest = monday - timedelta(weeks=1)
    else:
        # The couple's day's week: the lasting day, read with the page's figures, is never
        # before it.
        newest = week_start(couple_day(couple, instant))
    mondays = _mondays(newest, oldest, limit)
    query = (
        recap_query(session, couple=couple, mondays=mondays, instant=instant) if mondays else None
    )
    if cursor is None and query is not None and week_start(query.today) != newest:
        # After a move west back across a Monday the week lived lasts: the page from its week.
        mondays = _mondays(week_start(query.today), oldest, limit)
        query = recap_query(session, couple=couple, mondays=mondays, instant=instant)
    more = bool(mondays) and mondays[-1] > oldest
    return {
        "items": render(query) if query is not None else [],
        "next_cursor": _encode_cursor(mondays[-1]) if more else None,
    }


def _encode_cursor(monday: date) -> str:
    raw = json.dumps({"before": monday.isoformat()}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, *, oldest: date) -> date:
    """The Monday a cursor continues before, from the pairing week on, else a 422 (the caller
    checks it is not a week still to come)."""
    monday = cursor_day(read_cursor(cursor).get("before"))
    # Only a week from the pairing week to this one can have been given out: a forged year-1
    # Monday overflowed the date arithmetic (500), a future one listed weeks still to come.
    if monday.weekday() != 0 or monday < oldest:
        raise not_a_cursor()
    return monday


# -- the Sunday push --------------------------------------------------------------------------


def push_at(couple: Couple, sunday: date) -> datetime:
    """Sunday 19:00 in the couple's zone as a UTC instant (DST-correct, gap rules of rituals)."""
    return resolve_local(sunday, PUSH_AT, couple.timezone)


def _this_weeks_sunday(couple: Couple, instant: datetime) -> date:
    return week_start(couple_today(couple, instant)) + timedelta(days=6)


def next_push_after(couple: Couple, instant: datetime) -> datetime:
    """The first Sunday-19:00 push instant of the couple at or after instant."""
    sunday = _this_weeks_sunday(couple, instant)
    due = push_at(couple, sunday)
    return due if due >= instant else push_at(couple, sunday + timedelta(days=7))


def filed_week(couple: Couple, instant: datetime) -> date:
    """The Monday of the couple's week at instant (a schedule row's instant, moved half a week)."""
    return week_start(couple_today(couple, instant))


def week_end_after(couple: Couple, instant: datetime) -> datetime:
    """The end of the couple's week at instant: the next Monday's day start."""
    return day_start(couple, week_start(couple_today(couple, instant)) + timedelta(days=7))


@dataclass
class TickResult:
    """What one recap tick did."""

    sent: int = 0  # couples pushed
    rescheduled: int = 0  # claimed but not due this week (zone changed) or already sent
    late: int = 0  # dropped: more than LATE_LIMIT after 19:00
    stopped: int = 0  # unpaired couples, whose schedule row goes
    snapshots: int = 0  # couples whose week's streaks were recorded at the week's end


def due_schedules(*, moment: datetime, batch_size: int) -> Any:
    """The oldest due recap pushes with their couples: a range scan of next_recap_at's index."""
    return (
        select(RecapSchedule, Couple)
        .join(Couple, Couple.id == RecapSchedule.couple_id)
        .where(RecapSchedule.next_recap_at <= moment)
        .order_by(RecapSchedule.next_recap_at)
        .limit(batch_size)
    )


def run_due(session: Session, *, moment: datetime, batch_size: int = BATCH_SIZE) -> TickResult:
    """Push every recap due at moment, then record the streaks of every week that ended.

    moment is the clock's now (the streaks are read as of now).
    """
    result = TickResult()
    _run_pushes(session, moment=moment, batch_size=batch_size, result=result)
    _run_snapshots(session, moment=moment, batch_size=batch_size, result=result)
    return result


def _run_pushes(session: Session, *, moment: datetime, batch_size: int, result: TickResult) -> None:
    """Claim due pushes (SKIP LOCKED), one committed batch at a time."""
    while True:
        rows = session.execute(
            due_schedules(moment=moment, batch_size=batch_size).with_for_update(
                of=RecapSchedule, **for_update_skip_locked(session)
            )
        ).all()
        if not rows:
            session.commit()
            return
        days = _lasting_days(session, rows, moment)
        for schedule, couple in rows:
            _handle(session, schedule, couple, moment, result, days.get(couple.id))
        session.commit()
        # Each pass moves every claimed row to a later week's 19:00, past moment unless an owed
        # week's successor is due too (after a week-long outage), so this ends.


def _run_snapshots(
    session: Session, *, moment: datetime, batch_size: int, result: TickResult
) -> None:
    """Claim the couples whose week just ended (SKIP LOCKED) and record their streaks."""
    while True:
        rows = session.execute(
            select(RecapSchedule, Couple)
            .join(Couple, Couple.id == RecapSchedule.couple_id)
            .where(RecapSchedule.next_snapshot_at <= moment)
            .order_by(RecapSchedule.next_snapshot_at)
            .limit(batch_size)
            .with_for_update(of=RecapSchedule, **for_update_skip_locked(session))
        ).all()
        if not rows:
            session.commit()
            return
        days = _lasting_days(session, rows, moment)
        for schedule, couple in rows:
            _snapshot(session, schedule, couple, moment, result, days.get(couple.id))
        session.commit()


def _lasting_days(session: Session, rows: Sequence[Any], moment: datetime) -> dict[int, date]:
    """The lasting day of each paired couple of a claimed batch (one grouped query).

    The job's week is the reads' week (get, list_recaps): after a move west back across a
    Monday, the week the couple already lived lasts, never the week they left.
    """
    return lasting_days(session, [c for _, c in rows if c.unpaired_at is None], moment)


def _snapshot(
    session: Session,
    schedule: RecapSchedule,
    couple: Couple,
    moment: datetime,
    result: TickResult,
    today: date | None,
) -> None:
    if couple.unpaired_at is not None:
        session.delete(schedule)
        result.stopped += 1
        return
    assert today is not None  # _lasting_days reads every paired couple's
    monday = week_start(today)
    # The row holds the instant its week ended, in the zone of the time (a move after it leaves
    # a due row as it is), or the instant of a move east across it (_end_after_move). The week's
    # end in today's zone can still be ahead (a mood of the new Monday lasts after a move west),
    # so the instant filed decides, not the zone's calendar.
    ended_at = schedule.next_snapshot_at
    assert ended_at is not None  # claimed by next_snapshot_at <= moment
    starting = filed_week(couple, ended_at + HALF_WEEK)  # the week that began then
    # A Monday the couple's lasting day has not reached has not come (back west, no later row).
    if starting <= monday and moment - ended_at <= SNAPSHOT_LATE_LIMIT:
        record_streaks(session, couple=couple, ended_monday=starting - timedelta(days=7))
        result.snapshots += 1
    schedule.next_snapshot_at = day_start(couple, max(monday + timedelta(days=7), starting))


def insert_ignore_pk(
    session: Session, model: Any, values: dict[str, Any], *, conflict_on: list[str]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING for a table keyed without an id (two clocks race)."""
    execute_core(
        session,
        conflict_insert(session.get_bind().dialect.name)(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_on),
    )


def record_streaks(session: Session, *, couple: Couple, ended_monday: date) -> None:
    """Each live ritual's streak at the end of the week that began on ended_monday."""
    from api.rituals.models import Ritual
    from api.streaks.service import streaks

    rituals = list(
        session.scalars(
            select(Ritual).where(Ritual.couple_id == couple.id, Ritual.deleted_at.is_(None))
        )
    )
    if not rituals:
        return
    instant = now()
    timelines = load_timelines(session, couple, rituals, {r.id: ended_monday for r in rituals})
    new_week = ended_monday + timedelta(days=7)
    by_id = {r.id: r for r in rituals}
    for view in streaks(session, couple=couple, rituals=rituals):
        ritual = by_id[view["ritual_id"]]
        timeline = timelines[ritual.id]
        # The ritual's own today (its zone may not be the couple's): west of the couple it is
        # still the ended week's Sunday, which the week holds; east of it, already Monday.
        today = ritual_today(ritual, couple, timeline, instant)
        counted_today = (
            view["completed_today"]
            and today >= new_week
            and timeline.is_scheduled(today)
            and not ritual.paused
        )
        # The view counts today once it is complete; the week that ended does not hold today.
        streak = view["current"] - (1 if counted_today else 0)
        insert_ignore_pk(
            session,
            RecapStreak,
            {"ritual_id": ritual.id, "week_start": ended_monday, "streak": max(streak, 0)},
            conflict_on=["ritual_id", "week_start"],
        )


def _handle(
    session: Session,
    schedule: RecapSchedule,
    couple: Couple,
    moment: datetime,
    result: TickResult,
    today: date | None,
) -> None:
    if couple.unpaired_at is not None:
        session.delete(schedule)
        result.stopped += 1
        return
    assert today is not None  # _lasting_days reads every paired couple's
    filed = schedule.next_recap_at
    owed = filed_week(couple, filed - HALF_WEEK)
    lasting = week_start(today)
    if filed > push_at(couple, owed + timedelta(days=6)):
        # A move east put this week's 19:00 behind the couple before it came in the old zone
        # (_follow_zone files the move's instant): the push is owed, due since the move, even
        # if the move also took the couple into the next week.
        monday, due = owed, filed
    else:
        # The Sunday of the lasting day's week: a week the couple already left is not pushed.
        monday = lasting
        due = push_at(couple, monday + timedelta(days=6))
        if moment < due:
            # The couple's zone moved since this row was written: this week's 19:00 is ahead.
            schedule.next_recap_at = due
            result.rescheduled += 1
            return
    if schedule.last_sent_week == monday:
        result.rescheduled += 1
    elif moment - due > LATE_LIMIT:
        log.info("recap of couple %s dropped: %s late", couple.id, moment - due)
        result.late += 1
    else:
        _push(session, couple=couple, monday=monday)
        schedule.last_sent_week = monday
        result.sent += 1
    # The week after the one handled, never one the couple already left: an owed week's
    # successor is the lasting week, whose own 19:00 is still ahead.
    following = max(monday + timedelta(days=7), lasting)
    schedule.next_recap_at = push_at(couple, following + timedelta(days=6))


def _push(session: Session, *, couple: Couple, monday: date) -> None:
    """Both partners get the week's figures (numbers only), each in their own locale."""
    recap = build(session, couple=couple, mondays=[monday])[0]
    figures = {
        "rituals": sum(r["completed_days"] for r in recap["rituals"]),
        "affirmations": sum(a["count"] for a in recap["affirmations"]),
        "gratitude": sum(g["count"] for g in recap["gratitude"]),
        "moods": sum(m["entries"] for m in recap["moods"]),
    }
    label = iso_week(monday)
    partners = session.scalars(select(User).where(User.id.in_(couple.partner_ids)))
    for user in partners:
        notify(
            session,
            recipient_id=user.id,
            couple_id=couple.id,
            category="recap",
            title=translate(user.locale, RECAP_TITLE),
            body=translate(user.locale, RECAP_BODY, **figures),
            data={"event": "recap", "week": label},
            dedupe_key=f"recap:{couple.id}:{label}:{user.id}",
        )


# -- keeping the schedule in step with the couples -------------------------------------------


@listens_for(Couple, "after_insert")
def _schedule_new_couple(mapper: Mapper[Couple], connection: Connection, couple: Couple) -> None:
    """Every couple gets its schedule row as it is created, in the same transaction."""
    instant = now()
    connection.execute(
        insert(RecapSchedule).values(
            couple_id=couple.id,
            next_recap_at=next_push_after(couple, instant),
            next_snapshot_at=week_end_after(couple, instant),
        )
    )


@listens_for(Couple, "after_update")
def _follow_zone(mapper: Mapper[Couple], connection: Connection, couple: Couple) -> None:
    """A couple that moves zone gets its Sunday 19:00 and its week's end in the new zone.

    Neither is lost to the move: one the new zone put behind the couple, still ahead in the old
    zone, is filed at the move's instant, so the tick sends (or records) it once, on time.
    """
    if not inspect(couple).attrs.timezone.history.has_changes():
        return
    instant = now()
    # The week is the lasting day's (one statement, on a move only): after a move west back
    # across a Monday, the week lived lasts and its own Sunday and end are the ones to come.
    monday = week_start(
        connection.execute(current_day_statement(), lasting_params(couple, instant)).scalar_one()
    )
    mine = RecapSchedule.couple_id == couple.id
    row = connection.execute(
        select(RecapSchedule.next_recap_at, RecapSchedule.next_snapshot_at).where(mine)
    ).one_or_none()
    if row is None:
        return  # unpaired: the schedule went with the pairing
    push, end = row
    connection.execute(
        update(RecapSchedule)
        .where(mine)
        .values(
            next_recap_at=_push_after_move(couple, push, monday, instant),
            next_snapshot_at=_end_after_move(couple, end, monday, instant),
        )
    )


def _push_after_move(couple: Couple, filed: datetime, monday: date, instant: datetime) -> datetime:
    """The row's next push after the couple moved: ``monday`` is the new zone's lasting week."""
    if filed <= instant:
        return filed  # due already: the tick sends or drops it, judged from when it fell due
    pending = filed_week(couple, filed - HALF_WEEK)
    if push_at(couple, pending + timedelta(days=6)) <= instant:
        # Ahead in the old zone but behind in the new one (a move east): due now, not late.
        return instant
    return push_at(couple, max(pending, monday) + timedelta(days=6))


def _end_after_move(
    couple: Couple, filed: datetime | None, monday: date, instant: datetime
) -> datetime:
    """The row's next week's end after the couple moved: ``monday`` is the new lasting week."""
    if filed is not None and filed <= instant:
        return filed  # due already: the tick records (or drops) the week, judged from its end
    end = day_start(couple, monday + timedelta(days=7))
    if filed is None:
        return end
    starting = filed_week(couple, filed + HALF_WEEK)  # the week whose start the row waits for
    if starting <= monday:
        # The move carried the couple past that week's start, still ahead in the old zone
        # (east across the Monday): the week before it ended now.
        return instant
    # Back west across a Monday already passed, the week it began is not begun twice.
    return day_start(couple, max(monday + timedelta(days=7), starting))


@couple_unpaired.connect
def _stop_recaps(sender: Couple, *, session: Session, **kwargs: Any) -> None:
    """An unpaired couple has no more recaps: its schedule row goes at once."""
    session.execute(delete(RecapSchedule).where(RecapSchedule.couple_id == sender.id))
