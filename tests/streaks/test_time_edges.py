"""Time edges with fixed clocks: the 04:00 day boundary, both Berlin DST nights, partners in
different zones, and a couple that changes its time zone mid-streak (a flight)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from api.extensions import db
from tests.streaks.conftest import BERLIN, at


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_0130_check_in_counts_for_the_evening_before(pair, clock):
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 3, 1, 30))
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2026-03-02"
    clock.set(at(BERLIN, 2026, 3, 3, 3, 59))
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-03-02"
    clock.set(at(BERLIN, 2026, 3, 3, 4, 0))
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2026-03-03"
    assert pair.streak(kiss)["current"] == 2


def test_day_starts_at_is_the_couples_choice(pair, clock):
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 2, 12, 0))  # a change applies from the current day on
    pair.couple.day_starts_at = time(0, 0)
    db.session.commit()
    clock.set(at(BERLIN, 2026, 3, 3, 1, 30))
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2026-03-03"


def test_spring_forward_night_in_berlin(pair, clock):
    """29 March 2026: 02:00 CET jumps to 03:00 CEST; the day still starts at 04:00 local."""
    kiss = pair.ritual()
    for day in (26, 27, 28):
        clock.set(at(BERLIN, 2026, 3, day, 22, 0))
        pair.check_in(pair.alex, kiss)
    # 01:30 UTC is 03:30 CEST: still Saturday the 28th for the couple
    clock.set(utc(2026, 3, 29, 1, 30))
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-03-28"
    # 02:00 UTC is 04:00 CEST: Sunday begins (one hour earlier in UTC than the day before)
    clock.set(utc(2026, 3, 29, 2, 0))
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-03-29"
    # the evening nudge time moves with the wall clock: 20:00 CEST is 18:00 UTC
    clock.set(utc(2026, 3, 30, 17, 59))
    assert pair.streak(kiss)["at_risk"] is False
    clock.set(utc(2026, 3, 30, 18, 0))
    streak = pair.streak(kiss)
    assert (streak["current"], streak["at_risk"]) == (4, True)
    pair.check_in(pair.alex, kiss)
    clock.set(at(BERLIN, 2026, 3, 31, 12, 0))
    assert pair.streak(kiss)["current"] == 5


def test_fall_back_night_in_berlin(pair, clock):
    """25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice."""
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 10, 23, 21, 0))
    pair.check_in(pair.alex, kiss)
    clock.set(utc(2026, 10, 25, 0, 30))  # the first 02:30 (CEST)
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2026-10-24"
    clock.set(utc(2026, 10, 25, 1, 30))  # the second 02:30 (CET): the same couple-day
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-10-24"
    clock.set(utc(2026, 10, 25, 2, 59))  # 03:59 CET
    assert pair.streak(kiss)["completed_today"] is True
    clock.set(utc(2026, 10, 25, 3, 0))  # 04:00 CET: Sunday, a 25-hour couple-day, begins
    streak = pair.streak(kiss)
    assert (streak["current"], streak["completed_today"]) == (2, False)
    clock.set(utc(2026, 10, 25, 18, 59))
    assert pair.streak(kiss)["at_risk"] is False
    clock.set(utc(2026, 10, 25, 19, 0))  # 20:00 CET
    assert pair.streak(kiss)["at_risk"] is True
    pair.check_in(pair.sam, kiss)
    clock.set(at(BERLIN, 2026, 10, 26, 12, 0))
    assert pair.streak(kiss)["current"] == 3


def test_partners_in_different_zones_share_the_couples_day(pair, clock):
    pair.alex.timezone = "Asia/Tokyo"
    pair.sam.timezone = "America/Los_Angeles"
    db.session.commit()
    coffee = pair.ritual(completion="both")
    # Sam, 20:00 Monday in Los Angeles, is 05:00 Tuesday in Berlin: the couple's Tuesday
    clock.set(at("America/Los_Angeles", 2026, 3, 2, 20, 0))
    assert pair.check_in(pair.sam, coffee).get_json()["local_date"] == "2026-03-03"
    # Alex, 08:00 Tuesday in Tokyo, is 00:00 Tuesday in Berlin: still the couple's Monday
    clock.set(at("Asia/Tokyo", 2026, 3, 3, 8, 0))
    assert pair.check_in(pair.alex, coffee).get_json()["local_date"] == "2026-03-02"
    # Alex completes Tuesday, from Tokyo at 13:00 (05:00 Berlin)
    clock.set(at("Asia/Tokyo", 2026, 3, 3, 13, 0))
    assert pair.check_in(pair.alex, coffee).get_json()["local_date"] == "2026-03-03"
    streak = pair.streak(coffee)
    assert (streak["current"], streak["completed_today"]) == (1, True)
    assert streak["last_completed_date"] == "2026-03-03"


def test_flying_west_mid_streak_keeps_the_streak(pair, clock):
    kiss = pair.ritual()
    for day in range(2, 7):  # Mon 2 .. Fri 6 in Berlin
        clock.set(at(BERLIN, 2026, 3, day, 19, 0))
        pair.check_in(pair.alex, kiss)
    # Saturday 10:00 in Berlin they land in Los Angeles: 01:00 Saturday there, so the
    # couple's day is Friday again, which is already done.
    clock.set(at(BERLIN, 2026, 3, 7, 10, 0))
    pair.couple.timezone = "America/Los_Angeles"
    db.session.commit()
    streak = pair.streak(kiss)
    assert (streak["current"], streak["completed_today"]) == (5, True)
    clock.set(at("America/Los_Angeles", 2026, 3, 7, 19, 0))
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-03-07"
    clock.set(at("America/Los_Angeles", 2026, 3, 8, 19, 0))
    pair.check_in(pair.sam, kiss)
    assert pair.streak(kiss)["current"] == 7
    assert pair.streak(kiss)["freezes_available"] == 1


def test_flying_east_late_in_the_evening_lets_yesterday_be_logged(pair, clock):
    kiss = pair.ritual()
    for day in range(2, 5):
        clock.set(at(BERLIN, 2026, 3, day, 19, 0))
        pair.check_in(pair.alex, kiss)
    # Thursday 23:00 Berlin, not yet done, they land in Tokyo: 07:00 Friday there
    clock.set(at(BERLIN, 2026, 3, 5, 23, 0))
    pair.couple.timezone = "Asia/Tokyo"
    db.session.commit()
    assert pair.streak(kiss)["current"] == 0, "Thursday has passed for them, still open"
    assert pair.check_in(pair.alex, kiss, local_date="2026-03-05").status_code == 201
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2026-03-06"
    assert pair.streak(kiss)["current"] == 5


def test_a_day_settled_before_a_flight_west_cannot_be_reopened(pair, clock):
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 10, 19, 0))
    pair.check_in(pair.alex, kiss)
    clock.set(at(BERLIN, 2026, 3, 12, 5, 0))  # Thursday 12th: the 10th is now settled
    assert pair.check_in(pair.alex, kiss, local_date="2026-03-11").status_code == 201
    pair.couple.timezone = "America/Los_Angeles"  # 20:00 Wednesday 11th there
    db.session.commit()
    late = pair.check_in(pair.sam, kiss, local_date="2026-03-10")
    assert late.status_code == 422
    assert "settled" in late.get_json()["errors"]["local_date"][0]
    streak = pair.streak(kiss)
    assert (streak["current"], streak["completed_today"]) == (2, True)


def test_a_flight_west_on_a_day_already_done_keeps_that_day(pair, clock):
    """The move applies from the day after the last check-in: Thursday stays Thursday."""
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 11, 19, 0))
    pair.check_in(pair.alex, kiss)
    clock.set(at(BERLIN, 2026, 3, 12, 5, 0))
    pair.check_in(pair.alex, kiss)
    pair.couple.timezone = "America/Los_Angeles"  # 20:00 Wednesday 11th there
    db.session.commit()
    streak = pair.streak(kiss)
    assert (streak["current"], streak["completed_today"]) == (2, True)
    # Thursday lasts until Friday begins in Los Angeles (04:00 there)
    clock.set(at("America/Los_Angeles", 2026, 3, 13, 3, 59))
    assert pair.streak(kiss)["completed_today"] is True
    clock.set(at("America/Los_Angeles", 2026, 3, 13, 4, 0))
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-03-13"
    assert pair.streak(kiss)["current"] == 3
