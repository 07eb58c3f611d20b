"""Issue 10's eight cases, each with the value it must have (the values before the fix are in
the docstrings), plus quiet hours, locale tags and invite input normalisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from api.extensions import db
from api.notifications.models import Notification
from api.notifications.quiet_hours import quiet_until
from api.pairing.service import normalise_code
from api.rituals import reminders
from api.rituals.models import Ritual
from api.users.schemas import canonical_locale
from tests.conftest import auth
from tests.streaks.conftest import BERLIN, Pair, at

_ids = iter(range(1, 1_000_000))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def create(pair: Pair, **body: Any) -> dict[str, Any]:
    body.setdefault("client_id", f"00000000-0000-4000-8000-{next(_ids):012d}")
    body.setdefault("title", "Coffee")
    response = pair.client.post("/v1/couple/rituals", json=body, headers=auth(pair.alex.uid))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ritual_row(body: dict[str, Any]) -> Ritual:
    row = db.session.get(Ritual, body["id"])
    assert row is not None
    return row


def patch_couple(pair: Pair, **changes: Any) -> None:
    response = pair.client.patch("/v1/couple", json=changes, headers=auth(pair.alex.uid))
    assert response.status_code == 200, response.get_json()


def patch_ritual(pair: Pair, ritual_id: int, **changes: Any) -> dict[str, Any]:
    response = pair.client.patch(
        f"/v1/couple/rituals/{ritual_id}", json=changes, headers=auth(pair.alex.uid)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def reminder_rows(ritual_id: int) -> list[Notification]:
    return [
        n
        for n in db.session.scalars(
            select(Notification)
            .where(Notification.category == "ritual_reminder")
            .order_by(Notification.id)
        )
        if n.data.get("ritual_id") == str(ritual_id)
    ]


def tick(clock: Any, moment: datetime) -> None:
    clock.set(moment)
    reminders.run_due(db.session, moment=moment)


def tick_through(clock: Any, start: datetime, end: datetime, every: timedelta) -> None:
    moment = start
    while moment <= end:
        tick(clock, moment)
        moment += every


# -- 1 ----------------------------------------------------------------------------------------


def test_1_a_ritual_in_its_own_zone_is_logged_at_its_own_reminder(pair, clock):
    """Before: 422 "2027-04-03 is not a scheduled day", streak 0. After: counted, streak 9."""
    patch_couple(pair, timezone="Pacific/Auckland")
    clock.set(utc(2027, 3, 14, 12, 0))
    body = create(
        pair,
        schedule={"days": ["mon", "wed", "fri"], "time": "19:00", "timezone": "America/New_York"},
    )
    assert body["schedule"]["follows_couple"] is False
    days = [date(2027, 3, 15) + timedelta(days=i) for i in range(19)]
    for day in [d for d in days if d.weekday() in (0, 2, 4)]:
        reminder = at("America/New_York", day.year, day.month, day.day, 19, 0)
        tick(clock, reminder)
        clock.set(reminder + timedelta(minutes=5))
        response = pair.check_in(pair.alex, ritual_row(body))
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["local_date"] == day.isoformat()
    # Friday 2 April 2027 19:00 New York is 23:00Z, the instant
    assert reminder_rows(body["id"])[-2].data["occurrence_at"] == "2027-04-02T23:00:00Z"
    assert pair.streak(ritual_row(body))["current"] == 9


def test_1_honolulu_couple_logs_an_auckland_ritual_at_its_reminder(pair, clock):
    """Before: the check-in was first accepted 19 hours after the reminder. After: at once."""
    patch_couple(pair, timezone="Pacific/Honolulu")
    clock.set(utc(2027, 3, 1, 0, 0))
    body = create(pair, schedule={"days": ["tue"], "time": "07:30", "timezone": "Pacific/Auckland"})
    reminder = at("Pacific/Auckland", 2027, 3, 2, 7, 30)
    tick(clock, reminder)
    assert [n.data["local_date"] for n in reminder_rows(body["id"])] == ["2027-03-02"] * 2
    clock.set(reminder + timedelta(minutes=1))
    response = pair.check_in(pair.sam, ritual_row(body))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["local_date"] == "2027-03-02"


# -- 2 ----------------------------------------------------------------------------------------


def test_2_a_ritual_without_a_zone_follows_the_couple(pair, clock):
    """Before: 08:00 Berlin kept firing (20:00 in Auckland). After: 08:00 wherever they live."""
    clock.set(at(BERLIN, 2027, 3, 1, 12, 0))
    body = create(
        pair, schedule={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": "08:00"}
    )
    assert body["schedule"] == {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "time": "08:00",
        "timezone": "Europe/Berlin",
        "follows_couple": True,
    }
    patch_couple(pair, timezone="Pacific/Auckland")
    got = pair.client.get(f"/v1/couple/rituals/{body['id']}", headers=auth(pair.alex.uid))
    assert got.get_json()["schedule"]["timezone"] == "Pacific/Auckland"
    assert got.get_json()["schedule"]["follows_couple"] is True
    assert got.get_json()["next_reminder_at"] == "2027-03-01T19:00:00Z"  # 08:00 Tue, Auckland
    clock.set(at("Pacific/Auckland", 2027, 3, 3, 12, 0))
    patch_couple(pair, timezone="America/Los_Angeles")
    got = pair.client.get(f"/v1/couple/rituals/{body['id']}", headers=auth(pair.alex.uid))
    assert got.get_json()["next_reminder_at"] == "2027-03-03T16:00:00Z"  # 08:00 LA


def test_2_berlin_to_new_york_monday_reminder_at_0730_new_york(pair, clock):
    """Before: the 07:30 reminder came at 01:30 New York and its check-in answered 422."""
    clock.set(at(BERLIN, 2027, 5, 5, 12, 0))
    body = create(pair, schedule={"days": ["mon"], "time": "07:30"})
    patch_couple(pair, timezone="America/New_York")
    reminder = at("America/New_York", 2027, 5, 10, 7, 30)
    assert ritual_row(body).next_fire_at == reminder
    tick(clock, reminder)
    assert [n.data["local_date"] for n in reminder_rows(body["id"])] == ["2027-05-10"] * 2
    response = pair.check_in(pair.alex, ritual_row(body))
    assert response.status_code == 201
    assert response.get_json()["local_date"] == "2027-05-10"


# -- 3 ----------------------------------------------------------------------------------------


def test_3_moving_a_zone_west_on_a_day_that_fired_sends_no_second_reminder(pair, clock):
    """Before: a second reminder for 2027-03-03 at 2027-03-04T06:00Z. After: none."""
    clock.set(utc(2027, 3, 1, 0, 0))
    body = create(
        pair,
        schedule={
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "time": "20:00",
            "timezone": "Asia/Tokyo",
        },
    )
    tick(clock, utc(2027, 3, 3, 11, 0))
    assert [n.data["local_date"] for n in reminder_rows(body["id"])] == ["2027-03-03"] * 2
    clock.set(utc(2027, 3, 3, 12, 0))
    patch_ritual(pair, body["id"], schedule={"timezone": "Pacific/Honolulu"})
    tick_through(clock, utc(2027, 3, 3, 12, 0), utc(2027, 3, 5, 7, 0), timedelta(minutes=30))
    dates = [n.data["local_date"] for n in reminder_rows(body["id"])]
    assert dates == ["2027-03-03"] * 2 + ["2027-03-04"] * 2
    assert reminder_rows(body["id"])[-1].data["occurrence_at"] == "2027-03-05T06:00:00Z"


def test_3_a_move_east_that_brings_the_next_day_first_reminds_it_at_its_time(pair, clock):
    """Found by the calendar model (test_calendar_model.py): a Berlin couple's 23:30 ritual,
    both checked in just after midnight on the 27th, then set to 00:15 (from the 28th, the
    27th being done) and the couple moves to Auckland. The 28th's 00:15 in Auckland
    (11:15Z on the 27th) comes before the 27th's 23:30 in Berlin (22:30Z). Before: the clock
    waited for the 27th's, then skipped the 28th's as past. After: the 28th's at its time."""
    clock.set(at(BERLIN, 2026, 3, 26, 14, 0))
    patch_couple(pair, timezone="Europe/Berlin", day_starts_at="00:00")
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    kiss = ritual_row(create(pair, schedule={"days": every_day, "time": "23:30"}))
    clock.set(at(BERLIN, 2026, 3, 27, 0, 1))
    for partner in (pair.alex, pair.sam):
        response = pair.check_in(partner, kiss, local_date="2026-03-27")
        assert response.status_code == 201, response.get_json()
    patch_ritual(pair, kiss.id, schedule={"days": every_day, "time": "00:15"})
    patch_couple(pair, timezone="Pacific/Auckland")
    tick_through(clock, clock.current, utc(2026, 3, 28, 12, 0), timedelta(minutes=15))
    rows = reminder_rows(kiss.id)
    assert [n.data["local_date"] for n in rows] == ["2026-03-28"] * 2 + ["2026-03-29"] * 2
    assert rows[0].data["occurrence_at"] == "2026-03-27T11:15:00Z"


# -- 4 ----------------------------------------------------------------------------------------


def test_4_a_schedule_edit_does_not_rejudge_the_past(pair, clock):
    """Before: 5, then 0 after adding the weekend. After: 5, and 5."""
    kiss = pair.ritual(days=["mon", "tue", "wed", "thu", "fri"])
    for day in range(2, 7):
        clock.set(at(BERLIN, 2026, 3, day, 19, 0))
        assert pair.check_in(pair.alex, kiss).status_code == 201
    clock.set(at(BERLIN, 2026, 3, 9, 10, 0))
    assert pair.streak(kiss)["current"] == 5
    patch_ritual(
        pair, kiss.id, schedule={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    )
    assert pair.streak(kiss)["current"] == 5
    assert pair.check_in(pair.alex, kiss).status_code == 201
    clock.set(at(BERLIN, 2026, 3, 14, 10, 0))  # Saturday: now a scheduled day, 10-13 missed
    assert pair.streak(kiss)["current"] == 0


def test_4_a_change_that_leaves_a_ritual_as_it_was_moves_no_schedule_back(pair, clock):
    """Found by the calendar model (test_calendar_model.py): Tokyo, Friday 00:00, the days set to
    Tuesdays only; the ritual's zone set to Berlin (Thursday 16:00 there); then the couple moves
    to Berlin, which changes nothing for a ritual with its own zone. Before: that move rewrote
    the Tuesdays-only schedule to start on Thursday, so Thursday (passed under the daily
    schedule) refused its check-in with 422. After: Thursday is still a daily day."""
    clock.set(at("Asia/Tokyo", 2026, 3, 26, 12, 0))
    patch_couple(pair, timezone="Asia/Tokyo", day_starts_at="00:00")
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    kiss = ritual_row(create(pair, schedule={"days": every_day, "time": "00:15"}))
    clock.set(at("Asia/Tokyo", 2026, 3, 27, 0, 0))  # Friday begins in Tokyo
    patch_ritual(pair, kiss.id, schedule={"days": ["tue"]})
    patch_ritual(pair, kiss.id, schedule={"timezone": "Europe/Berlin"})  # Thursday again
    patch_couple(pair, timezone="Europe/Berlin")
    clock.set(at(BERLIN, 2026, 3, 26, 22, 41))
    response = pair.check_in(pair.alex, kiss)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["local_date"] == "2026-03-26"


@pytest.mark.parametrize(
    "repeat",
    [
        ("ritual", {"schedule": {"timezone": None}}),  # follows the couple already
        ("ritual", {"schedule": {"timezone": "Europe/Berlin"}}),  # own zone, the same one
        ("couple", {"timezone": "Europe/Berlin"}),
        ("couple", {"day_starts_at": "00:00"}),
    ],
    ids=["follow-again", "own-zone-same", "couple-same-zone", "couple-same-day-start"],
)
def test_4_a_repeated_change_after_a_move_west_leaves_today_as_it_was(pair, clock, repeat):
    """Found by the calendar model (test_calendar_model.py), whose oracle was wrong: an Auckland
    Sat/Sun ritual of a Berlin couple; Thursday 13:00 in Berlin is Friday 01:00 in Auckland,
    the ritual's current day. The days set to every day and the zone to the couple's both
    apply from Friday, and in Berlin it is Thursday again: a day that passed under the Sat/Sun
    schedule, not scheduled (422). The same PATCH again, or any PATCH that leaves the schedule
    as it was, is no change of schedule (API.md: a *change* takes effect from the current day)
    and must not re-judge Thursday by the every-day schedule made after it. The oracle did: it
    moved the latest schedule back to Thursday and expected Thursday's check-in to succeed."""
    clock.set(utc(2026, 3, 26, 12, 0))  # Thu 13:00 Berlin, Fri 01:00 Auckland
    patch_couple(pair, timezone="Europe/Berlin", day_starts_at="00:00")
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    kiss = ritual_row(
        create(
            pair,
            schedule={"days": ["sat", "sun"], "time": "23:30", "timezone": "Pacific/Auckland"},
        )
    )
    patch_ritual(pair, kiss.id, schedule={"days": every_day})  # from Friday (Auckland)
    body = patch_ritual(pair, kiss.id, schedule={"timezone": None})  # from Friday: Thursday again
    assert body["schedule"]["timezone"] == "Europe/Berlin"
    before = pair.check_in(pair.alex, kiss)
    assert before.status_code == 422, before.get_json()
    assert "2026-03-26 is not a scheduled day" in before.get_json()["detail"]

    target, changes = repeat
    if target == "ritual":
        patch_ritual(pair, kiss.id, **changes)
    else:
        patch_couple(pair, **changes)

    response = pair.check_in(pair.alex, kiss)
    assert response.status_code == 422, response.get_json()
    assert "2026-03-26 is not a scheduled day" in response.get_json()["detail"]
    assert pair.streak(kiss)["current"] == 0
    # Friday in Berlin is the first day of the every-day schedule, as before the repeat.
    clock.set(at(BERLIN, 2026, 3, 27, 0, 5))
    response = pair.check_in(pair.alex, kiss)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["local_date"] == "2026-03-27"
    assert pair.streak(kiss)["current"] == 1


# -- 5 ----------------------------------------------------------------------------------------


def test_5_pausing_never_takes_a_completed_day_away(pair, clock):
    """Before: 4 while paused, 5 after resuming. After: 5 while paused, 6 after."""
    kiss = pair.ritual()
    for day in range(2, 7):
        clock.set(at(BERLIN, 2026, 3, day, 19, 0))
        assert pair.check_in(pair.alex, kiss).status_code == 201
    clock.set(at(BERLIN, 2026, 3, 6, 21, 0))
    patch_ritual(pair, kiss.id, paused=True)
    assert pair.streak(kiss)["current"] == 5
    clock.set(at(BERLIN, 2026, 3, 10, 12, 0))
    assert pair.streak(kiss)["current"] == 5
    clock.set(at(BERLIN, 2026, 3, 12, 9, 0))  # Thursday
    patch_ritual(pair, kiss.id, paused=False)
    assert pair.streak(kiss)["current"] == 5
    assert pair.check_in(pair.alex, kiss).status_code == 201
    assert pair.streak(kiss)["current"] == 6


# -- 6 ----------------------------------------------------------------------------------------


def test_6_a_day_start_in_the_repeated_hour_begins_the_day_once_berlin(pair, clock):
    """Before: 02:45 CEST counted for the 25th, 02:15 CET for the 24th. After: both the 25th."""
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 10, 20, 12, 0))
    patch_couple(pair, day_starts_at="02:30")
    clock.set(utc(2026, 10, 25, 0, 45))  # 02:45 CEST
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2026-10-25"
    clock.set(utc(2026, 10, 25, 1, 15))  # 02:15 CET, the second pass
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2026-10-25"
    clock.set(utc(2026, 10, 25, 0, 29))  # 02:29 CEST: still the 24th
    assert pair.streak(kiss)["completed_today"] is False


def test_6_a_day_start_in_the_repeated_hour_begins_the_day_once_new_york(pair, clock):
    """Before: 01:45 EDT counted for the 7th, 01:15 EST for the 6th. After: both the 7th."""
    clock.set(at("America/New_York", 2027, 11, 1, 12, 0))
    patch_couple(pair, timezone="America/New_York", day_starts_at="01:30")
    kiss = pair.ritual()
    clock.set(utc(2027, 11, 7, 5, 45))  # 01:45 EDT
    assert pair.check_in(pair.alex, kiss).get_json()["local_date"] == "2027-11-07"
    clock.set(utc(2027, 11, 7, 6, 15))  # 01:15 EST
    assert pair.check_in(pair.sam, kiss).get_json()["local_date"] == "2027-11-07"


# -- 7 ----------------------------------------------------------------------------------------


def test_7_quiet_hours_ending_in_a_dst_gap_end_at_the_jump(pair, clock, run_jobs):
    """Before: held until 01:30Z (03:30 CEST). After: released at 01:00Z, the jump."""
    response = pair.client.patch(
        "/v1/me", json={"quiet_hours": {"start": "22:00", "end": "02:30"}}, headers=auth("alex")
    )
    assert response.status_code == 200
    kiss = pair.ritual()
    clock.set(at(BERLIN, 2026, 3, 28, 23, 0))
    assert pair.nudge(pair.sam, kiss).status_code == 202
    run_jobs()
    nudge = db.session.scalars(
        select(Notification).where(Notification.category == "partner_nudge")
    ).one()
    assert nudge.status == "pending"
    assert nudge.deliver_after == utc(2026, 3, 29, 1, 0)


def test_7_quiet_hours_santiago_and_repeated_end():
    """America/Santiago skips 00:00-01:00 on 2026-09-06: an end of 00:30 is the jump, 04:00Z."""
    santiago = quiet_until(
        utc(2026, 9, 6, 2, 0), start=time(22, 0), end=time(0, 30), tz="America/Santiago"
    )
    assert santiago == utc(2026, 9, 6, 4, 0)
    # An end in a repeated hour is its first instant: 02:30 CEST on 2026-10-25 is 00:30Z.
    berlin = quiet_until(
        utc(2026, 10, 24, 21, 0), start=time(22, 0), end=time(2, 30), tz="Europe/Berlin"
    )
    assert berlin == utc(2026, 10, 25, 0, 30)


# -- 8 ----------------------------------------------------------------------------------------


def test_8_a_westward_move_never_dips_the_streak(pair, clock):
    """Before: current and longest read 2 for a few hours where they were 3. After: never."""
    clock.set(at("Asia/Tokyo", 2027, 6, 1, 12, 0))
    patch_couple(pair, timezone="Asia/Tokyo")
    kiss = pair.ritual()
    for day in (1, 2, 3):
        clock.set(at("Asia/Tokyo", 2027, 6, day, 12, 0))
        assert pair.check_in(pair.alex, kiss).status_code == 201
    assert (pair.streak(kiss)["current"], pair.streak(kiss)["longest"]) == (3, 3)
    clock.set(at("Asia/Tokyo", 2027, 6, 3, 13, 0))  # 21:00 on the 2nd in Los Angeles
    patch_couple(pair, timezone="America/Los_Angeles")
    seen = []
    moment = clock.current
    while moment < at("America/Los_Angeles", 2027, 6, 4, 12, 0):
        clock.set(moment)
        streak = pair.streak(kiss)
        seen.append((streak["current"], streak["longest"]))
        moment += timedelta(hours=1)
    assert min(seen) == (3, 3)


# -- locale tags and invite codes ---------------------------------------------------------------


def test_locale_tags_are_accepted_in_any_case_and_with_underscores(client, pair):
    for raw, stored in (("es_ES", "es-ES"), ("EN-us", "en-US"), ("zh_hant_tw", "zh-Hant-TW")):
        response = client.patch("/v1/me", json={"locale": raw}, headers=auth("alex"))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["locale"] == stored
    assert canonical_locale("es-419") == "es-419"
    assert (
        client.patch("/v1/me", json={"locale": "español"}, headers=auth("alex")).status_code == 422
    )


def test_invite_input_accepts_full_width_dashes_and_spaces():
    for typed in (
        "7kq4-m2zd",
        "7KQ4 M2ZD",
        "7KQ4\u2013M2ZD",  # en dash
        "7KQ4\u2014M2ZD",  # em dash
        "7KQ4\u2212M2ZD",  # minus sign
        "7KQ4\u00a0M2ZD",  # no-break space
        "\uff17\uff2b\uff31\uff14\uff0d\uff2d\uff12\uff3a\uff24",  # full width, with its hyphen
        " 7 K Q 4 - M 2 Z D ",
    ):
        assert normalise_code(typed) == "7KQ4M2ZD", typed
    assert normalise_code("7KQ4_M2ZD") is None
    assert normalise_code("7KQ4-M2Z") is None
