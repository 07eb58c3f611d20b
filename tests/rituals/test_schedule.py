"""The schedule math: fixed DST cases for 2026/2027 and properties over many zones."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.fields import known_timezones
from api.rituals.schedule import (
    WEEKDAYS,
    InvalidSchedule,
    next_occurrence,
    next_occurrence_info,
    occurrence_local_date,
    resolve_local,
)

EVERY_DAY = frozenset(WEEKDAYS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- fixed cases
# (zone, wall time, search from, expected UTC instant, why). Expected instants are written
# by hand from the published rules, not computed with zoneinfo.
DST_CASES = [
    # Europe/Berlin: CET +01 / CEST +02; changes at 01:00 UTC on the last Sunday of
    # March (2026-03-29, 2027-03-28) and October (2026-10-25, 2027-10-31).
    ("Europe/Berlin", "07:30", utc(2026, 3, 27, 12), utc(2026, 3, 28, 6, 30), "2026 last CET"),
    ("Europe/Berlin", "07:30", utc(2026, 3, 28, 12), utc(2026, 3, 29, 5, 30), "2026 first CEST"),
    ("Europe/Berlin", "02:30", utc(2026, 3, 28, 12), utc(2026, 3, 29, 1, 0), "2026 gap -> 03:00"),
    ("Europe/Berlin", "02:00", utc(2026, 3, 28, 12), utc(2026, 3, 29, 1, 0), "2026 gap start"),
    ("Europe/Berlin", "03:00", utc(2026, 3, 28, 12), utc(2026, 3, 29, 1, 0), "2026 gap end"),
    ("Europe/Berlin", "02:30", utc(2026, 10, 24, 12), utc(2026, 10, 25, 0, 30), "2026 fold 1st"),
    ("Europe/Berlin", "02:30", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), "2026 once"),
    ("Europe/Berlin", "07:30", utc(2026, 10, 25, 6, 30), utc(2026, 10, 26, 6, 30), "2026 CET"),
    ("Europe/Berlin", "07:30", utc(2026, 10, 24, 12), utc(2026, 10, 25, 6, 30), "2026 fall day"),
    ("Europe/Berlin", "07:30", utc(2027, 3, 27, 12), utc(2027, 3, 28, 5, 30), "2027 first CEST"),
    ("Europe/Berlin", "02:30", utc(2027, 3, 27, 12), utc(2027, 3, 28, 1, 0), "2027 gap -> 03:00"),
    ("Europe/Berlin", "02:30", utc(2027, 10, 30, 12), utc(2027, 10, 31, 0, 30), "2027 fold 1st"),
    ("Europe/Berlin", "02:30", utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30), "2027 once"),
    # America/New_York: EST -05 / EDT -04; 2026-03-08 and 2026-11-01, 2027-03-14 and
    # 2027-11-07, at 02:00 local.
    ("America/New_York", "07:30", utc(2026, 3, 7, 0), utc(2026, 3, 7, 12, 30), "2026 EST"),
    ("America/New_York", "07:30", utc(2026, 3, 7, 13), utc(2026, 3, 8, 11, 30), "2026 EDT"),
    ("America/New_York", "02:30", utc(2026, 3, 7, 13), utc(2026, 3, 8, 7, 0), "2026 gap"),
    ("America/New_York", "01:30", utc(2026, 10, 31, 12), utc(2026, 11, 1, 5, 30), "2026 fold"),
    ("America/New_York", "01:30", utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30), "2026 once"),
    ("America/New_York", "07:30", utc(2026, 11, 1, 0), utc(2026, 11, 1, 12, 30), "2026 EST"),
    ("America/New_York", "02:30", utc(2027, 3, 13, 13), utc(2027, 3, 14, 7, 0), "2027 gap"),
    ("America/New_York", "07:30", utc(2027, 3, 13, 13), utc(2027, 3, 14, 11, 30), "2027 EDT"),
    ("America/New_York", "01:30", utc(2027, 11, 6, 12), utc(2027, 11, 7, 5, 30), "2027 fold"),
    ("America/New_York", "01:30", utc(2027, 11, 7, 5, 30), utc(2027, 11, 8, 6, 30), "2027 once"),
    # Australia/Sydney: AEST +10 / AEDT +11; DST ends on the first Sunday of April
    # (03:00 -> 02:00) and starts on the first Sunday of October (02:00 -> 03:00).
    ("Australia/Sydney", "02:30", utc(2026, 4, 4, 0), utc(2026, 4, 4, 15, 30), "2026 fold"),
    ("Australia/Sydney", "02:30", utc(2026, 4, 4, 15, 30), utc(2026, 4, 5, 16, 30), "2026 once"),
    ("Australia/Sydney", "07:30", utc(2026, 4, 3, 12), utc(2026, 4, 3, 20, 30), "2026 last AEDT"),
    ("Australia/Sydney", "07:30", utc(2026, 4, 3, 21), utc(2026, 4, 4, 21, 30), "2026 AEST"),
    ("Australia/Sydney", "02:30", utc(2026, 10, 3, 0), utc(2026, 10, 3, 16, 0), "2026 gap"),
    ("Australia/Sydney", "07:30", utc(2026, 10, 3, 0), utc(2026, 10, 3, 20, 30), "2026 1st AEDT"),
    ("Australia/Sydney", "02:30", utc(2027, 4, 3, 0), utc(2027, 4, 3, 15, 30), "2027 fold"),
    ("Australia/Sydney", "02:30", utc(2027, 4, 3, 15, 30), utc(2027, 4, 4, 16, 30), "2027 once"),
    ("Australia/Sydney", "02:30", utc(2027, 10, 2, 0), utc(2027, 10, 2, 16, 0), "2027 gap"),
    # Australia/Lord_Howe: +10:30 / +11, a 30-minute DST shift at 02:00 local on the
    # same Sundays: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April.
    ("Australia/Lord_Howe", "02:15", utc(2026, 10, 3, 0), utc(2026, 10, 3, 15, 30), "2026 gap"),
    ("Australia/Lord_Howe", "02:30", utc(2026, 10, 3, 0), utc(2026, 10, 3, 15, 30), "2026 02:30"),
    ("Australia/Lord_Howe", "07:30", utc(2026, 10, 3, 0), utc(2026, 10, 3, 20, 30), "2026 +11"),
    ("Australia/Lord_Howe", "07:30", utc(2026, 10, 2, 0), utc(2026, 10, 2, 21, 0), "2026 +1030"),
    ("Australia/Lord_Howe", "01:45", utc(2026, 4, 4, 0), utc(2026, 4, 4, 14, 45), "2026 fold"),
    ("Australia/Lord_Howe", "01:45", utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15), "once"),
    ("Australia/Lord_Howe", "02:15", utc(2027, 10, 2, 0), utc(2027, 10, 2, 15, 30), "2027 gap"),
    ("Australia/Lord_Howe", "01:45", utc(2027, 4, 3, 0), utc(2027, 4, 3, 14, 45), "2027 fold"),
    ("Australia/Lord_Howe", "01:45", utc(2027, 4, 3, 14, 45), utc(2027, 4, 4, 15, 15), "once"),
    # Australia/Adelaide: ACST +09:30 / ACDT +10:30, Sydney's dates and hours.
    ("Australia/Adelaide", "02:30", utc(2026, 10, 3, 0), utc(2026, 10, 3, 16, 30), "2026 gap"),
    ("Australia/Adelaide", "02:30", utc(2026, 4, 4, 0), utc(2026, 4, 4, 16, 0), "2026 fold"),
    ("Australia/Adelaide", "02:30", utc(2026, 4, 4, 16, 0), utc(2026, 4, 5, 17, 0), "2026 once"),
    ("Australia/Adelaide", "02:30", utc(2027, 10, 2, 0), utc(2027, 10, 2, 16, 30), "2027 gap"),
    # Asia/Kolkata: +05:30 all year, no DST.
    ("Asia/Kolkata", "07:30", utc(2026, 3, 28, 12), utc(2026, 3, 29, 2, 0), "no DST"),
    ("Asia/Kolkata", "00:00", utc(2027, 10, 30, 18, 30), utc(2027, 10, 31, 18, 30), "midnight"),
]


@pytest.mark.parametrize(
    ("tz", "wall", "after", "expected"),
    [case[:4] for case in DST_CASES],
    ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in DST_CASES],
)
def test_dst_changes_2026_2027(tz: str, wall: str, after: datetime, expected: datetime) -> None:
    got = next_occurrence(after, days=EVERY_DAY, at=time.fromisoformat(wall), tz=tz)
    assert got == expected
    assert got.tzinfo is UTC


def test_ambiguous_time_fires_once_per_day_in_a_row() -> None:
    """Walking an ambiguous 02:30 day by day meets the fall-back day exactly once."""
    at, tz = time(2, 30), "Europe/Berlin"
    instant = utc(2026, 10, 23, 12)
    seen: list[datetime] = []
    for _ in range(4):
        instant = next_occurrence(instant, days=EVERY_DAY, at=at, tz=tz)
        seen.append(instant)
    assert seen == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 27, 1, 30),
    ]


def test_weekly_schedule_picks_the_next_scheduled_day() -> None:
    # 2026-03-27 is a Friday; the next Monday in Berlin is after the spring change.
    got = next_occurrence_info(
        utc(2026, 3, 27, 12), days=["mon", "wed"], at=time(19), tz="Europe/Berlin"
    )
    assert got.local_date == date(2026, 3, 30)
    assert got.at == utc(2026, 3, 30, 17)
    assert got.key(42) == "42:2026-03-30"


def test_exact_occurrence_is_not_after_itself() -> None:
    at = utc(2026, 3, 30, 17)
    got = next_occurrence(at, days=["mon"], at=time(19), tz="Europe/Berlin")
    assert got == utc(2026, 4, 6, 17)
    assert next_occurrence(at - timedelta(microseconds=1), days=["mon"], at=time(19),
                           tz="Europe/Berlin") == at  # fmt: skip


def test_gap_across_midnight_belongs_to_the_scheduled_day() -> None:
    # Samoa skipped 2011-12-30 entirely: 23:59:59 on the 29th (-10) was followed by
    # 00:00 on the 31st (+14). An occurrence on the 30th fires when the clocks jump.
    info = next_occurrence_info(
        utc(2011, 12, 29, 21), days=EVERY_DAY, at=time(10), tz="Pacific/Apia"
    )
    assert info.local_date == date(2011, 12, 30)
    assert info.at == utc(2011, 12, 30, 10)
    assert occurrence_local_date(info.at, days=EVERY_DAY, at=time(10), tz="Pacific/Apia") == date(
        2011, 12, 30
    )
    after = next_occurrence_info(info.at, days=EVERY_DAY, at=time(10), tz="Pacific/Apia")
    assert after.local_date == date(2011, 12, 31)
    assert after.at == utc(2011, 12, 30, 20)


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(datetime(2026, 1, 1), days=EVERY_DAY, at=time(7), tz="UTC")


@pytest.mark.parametrize(
    ("days", "tz"),
    [([], "UTC"), (["monday"], "UTC"), ("mon", "UTC"), (["mon"], "Mars/Olympus"), (["mon"], "")],
)
def test_invalid_schedules_are_rejected(days: list[str], tz: str) -> None:
    with pytest.raises(InvalidSchedule):
        next_occurrence(utc(2026, 1, 1), days=days, at=time(7), tz=tz)


@pytest.mark.parametrize("tz", ["Europe/Atlantis", "../etc/passwd", "localtime", "Factory", ""])
def test_a_name_that_is_not_a_zone_is_an_invalid_schedule(tz: str) -> None:
    with pytest.raises(InvalidSchedule):
        next_occurrence(utc(2026, 1, 1), days=["mon"], at=time(7), tz=tz)


def test_not_an_occurrence_has_no_local_date() -> None:
    with pytest.raises(ValueError, match="not an occurrence"):
        occurrence_local_date(utc(2026, 3, 29, 1, 1), days=EVERY_DAY, at=time(2, 30), tz="CET")


# --------------------------------------------------------------------------- properties
ZONES = sorted(known_timezones())
# Zones that changed their UTC offset at least once between 1990 and 2040.
DST_ZONES = [
    tz
    for tz in ZONES
    if len(
        {
            ZoneInfo(tz).utcoffset(datetime(y, m, 1))
            for y in (1990, 2000, 2010, 2026)
            for m in (1, 7)
        }
    )
    > 1
]
zones = st.sampled_from(ZONES)
# Whole minutes: every wall time a user can choose, and every tz transition since 1990
# falls on a whole minute, which the minute-by-minute oracle below relies on.
wall_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
day_sets = st.sets(st.sampled_from(WEEKDAYS), min_size=1).map(frozenset)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)


@lru_cache(maxsize=4096)
def transitions(tz: str, year: int) -> tuple[datetime, ...]:
    """The UTC instants (to the minute) at which ``tz`` changed its offset during ``year``."""
    zi = ZoneInfo(tz)
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    while instant < end:
        if instant.astimezone(zi).utcoffset() != (instant + step).astimezone(zi).utcoffset():
            lo, hi = instant, instant + step
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zi).utcoffset() == lo.astimezone(zi).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        instant += step
    return tuple(found)


@st.composite
def around_a_transition(draw: st.DrawFn) -> tuple[str, time, datetime]:
    """A zone, a wall time near one of its offset changes, and an instant shortly before it.

    Random instants and wall times almost never meet a gap or an overlap; this does.
    """
    tz = draw(st.sampled_from(DST_ZONES))
    year = draw(st.integers(1990, 2040))
    changes = transitions(tz, year)
    if not changes:
        return tz, draw(wall_times), draw(instants)
    change = draw(st.sampled_from(changes))
    zi = ZoneInfo(tz)
    # Wall times within an hour and a half of either side of the change (gap/overlap).
    side = draw(st.sampled_from([change - timedelta(minutes=1), change]))
    wall_then = side.astimezone(zi) + timedelta(minutes=draw(st.integers(-90, 90)))
    at = wall_then.time().replace(second=0, microsecond=0, tzinfo=None, fold=0)
    after = change - timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
    return tz, at, after


def wall(instant: datetime, zi: ZoneInfo) -> datetime:
    return instant.astimezone(zi).replace(tzinfo=None)


def oracle_occurrences(
    zi: ZoneInfo, days: frozenset[str], at: time, first: date, last: date
) -> dict[date, datetime]:
    """Brute force: each scheduled day's instant is the first minute whose wall time reaches it.

    Walks UTC minute by minute with the running maximum of the wall time (the wall clock
    goes back at a fall-back change, so "first minute reaching it" is the first of two).
    """
    targets = []
    day = first
    while day <= last:
        if WEEKDAYS[day.weekday()] in days:
            targets.append((day, datetime.combine(day, at)))
        day += timedelta(days=1)
    found: dict[date, datetime] = {}
    # No zone is more than 14 h ahead of UTC: the first target cannot be reached earlier.
    instant = targets[0][1].replace(tzinfo=UTC) - timedelta(hours=15)
    high = wall(instant, zi)
    i = 0
    while i < len(targets):
        high = max(high, wall(instant, zi))
        while i < len(targets) and high >= targets[i][1]:
            found[targets[i][0]] = instant
            i += 1
        instant += timedelta(minutes=1)
    return found


anywhere = st.tuples(zones, wall_times, instants)
cases = st.one_of(anywhere, around_a_transition())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, days=day_sets)
def test_next_occurrence_properties(case: tuple[str, time, datetime], days: frozenset[str]) -> None:
    tz, at, after = case
    zi = ZoneInfo(tz)
    info = next_occurrence_info(after, days=days, at=at, tz=tz)
    got = info.at
    # Strictly after the instant, an aware UTC instant, within a week and a day.
    assert got > after
    assert got.tzinfo is UTC
    assert got - after <= timedelta(days=8)
    # On a scheduled local day, and that day is the one the helper reports.
    assert WEEKDAYS[info.local_date.weekday()] in days
    assert occurrence_local_date(got, days=days, at=at, tz=tz) == info.local_date
    local = got.astimezone(zi)
    target = datetime.combine(info.local_date, at)
    if local.replace(tzinfo=None) == target:
        # The wall time is `at` on that day, at its first instant when ambiguous.
        assert local.fold == 0
    else:
        # Only in a gap: `got` is the jump itself, and `at` fell between its two sides.
        before = wall(got - timedelta(seconds=1), zi)
        assert before < target < local.replace(tzinfo=None)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, days=day_sets)
def test_no_occurrence_is_skipped_between_two_calls(
    case: tuple[str, time, datetime], days: frozenset[str]
) -> None:
    tz, at, after = case
    zi = ZoneInfo(tz)
    first = next_occurrence(after, days=days, at=at, tz=tz)
    second = next_occurrence(first, days=days, at=at, tz=tz)
    assert after < first < second
    expected = oracle_occurrences(
        zi,
        days,
        at,
        wall(after, zi).date() - timedelta(days=2),
        wall(second, zi).date() + timedelta(days=1),
    )
    # Exactly these two instants lie in (after, second]: none skipped, none fired twice.
    assert sorted({t for t in expected.values() if after < t <= second}) == [first, second]
    assert expected[next_occurrence_info(after, days=days, at=at, tz=tz).local_date] == first


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=around_a_transition())
def test_each_day_fires_once_across_changes(case: tuple[str, time, datetime]) -> None:
    """Walking a daily schedule over an offset change, every local day fires exactly once."""
    tz, at, after = case
    zi = ZoneInfo(tz)
    walked = []
    instant = after
    for _ in range(5):
        info = next_occurrence_info(instant, days=EVERY_DAY, at=at, tz=tz)
        assert info.at > instant
        walked.append(info)
        instant = info.at
    for prev, cur in itertools.pairwise(walked):
        # Only a skipped calendar day (Samoa, 2011) may merge two days into one instant.
        for missing in range(1, (cur.local_date - prev.local_date).days):
            assert resolve_local(prev.local_date + timedelta(days=missing), at, zi) == prev.at
    assert walked[-1].local_date - walked[0].local_date <= timedelta(days=5)
