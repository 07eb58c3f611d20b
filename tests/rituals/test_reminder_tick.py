"""The reminder clock: rituals made through the API, the tick run as the worker runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.extensions import db
from api.notifications.models import Notification
from api.rituals import reminders
from api.rituals.models import Ritual

TICK_JOB = "workers.scheduler.reminder_tick"
# Monday 2026-03-02, Berlin on CET (+01:00).
MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# An 18:30 ritual with a 10-minute reminder: 17:30Z occurrence, 17:20Z reminder.
EVENING = {
    "title": "Six-second kiss",
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "time": "18:30"},
    "reminder": {"enabled": True, "minutes_before": 10},
}
FIRE = datetime(2026, 3, 2, 17, 20, tzinfo=UTC)


@pytest.fixture
def tick(app, run_jobs):
    """Run one clock tick the way production does: the cron job, then delivery, on the queue."""

    def run() -> None:
        app.extensions["hearth_queue"].enqueue(TICK_JOB)
        run_jobs()

    return run


def feed(client, headers) -> list[dict]:
    return client.get("/v1/notifications", headers=headers).get_json()["items"]


def reminder_count() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.category == "ritual_reminder")
    )


def test_reminder_goes_to_both_partners_at_its_time(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    assert ritual["next_reminder_at"] == "2026-03-02T17:20:00Z"

    clock.set(FIRE - timedelta(seconds=30))
    tick()
    assert pushes.sent == []
    assert feed(client, pair.alex) == []

    clock.set(FIRE + timedelta(seconds=5))
    tick()
    assert sorted(m.device_id for m in pushes.sent) == sorted(
        d["id"] for h in (pair.alex, pair.sam) for d in client.get("/v1/devices", headers=h).json
    )
    for message in pushes.sent:
        assert message.category == "ritual_reminder"
        assert message.title == "Six-second kiss"
        assert message.body == "In 10 min, at 18:30."
        assert message.data["ritual_id"] == str(ritual["id"])
        assert message.data["occurrence_at"] == "2026-03-02T17:30:00Z"
        assert message.data["local_date"] == "2026-03-02"
        # The occurrence is the collapse key; the push expires 30 minutes after it.
        assert message.collapse_key == f"ritual-{ritual['id']}-2026-03-02T17:30:00Z"
        assert message.ttl_seconds == (10 + 30) * 60 - 5
        assert message.priority == "high"
    for headers in (pair.alex, pair.sam):
        (item,) = feed(client, headers)
        assert item["category"] == "ritual_reminder"

    # Advanced: the next tick sends nothing, and the ritual shows tomorrow's reminder.
    clock.advance(seconds=30)
    tick()
    assert len(pushes.sent) == 2
    path = f"/v1/couple/rituals/{ritual['id']}"
    assert client.get(path, headers=pair.alex).json["next_reminder_at"] == "2026-03-03T17:20:00Z"

    clock.set(FIRE + timedelta(days=1))
    tick()
    assert len(pushes.sent) == 4
    assert {m.data["local_date"] for m in pushes.sent[2:]} == {"2026-03-03"}


def test_reminder_without_lead_time(client, pair, create_ritual, clock, tick, pushes):
    clock.set(MONDAY_NOON)
    create_ritual(**{**EVENING, "reminder": {"enabled": True, "minutes_before": 0}})
    clock.set(datetime(2026, 3, 2, 17, 30, tzinfo=UTC))
    tick()
    assert [m.body for m in pushes.sent] == ["It's 18:30: time for this one together."] * 2
    assert {m.ttl_seconds for m in pushes.sent} == {30 * 60}


def test_reminder_more_than_30_minutes_late_is_dropped(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    # The service was down: the first tick after the reminder's time is 31 minutes late.
    clock.set(FIRE + timedelta(minutes=31))
    tick()
    assert pushes.sent == []
    assert reminder_count() == 0
    path = f"/v1/couple/rituals/{ritual['id']}"
    assert client.get(path, headers=pair.alex).json["next_reminder_at"] == "2026-03-03T17:20:00Z"
    clock.set(FIRE + timedelta(days=1))
    tick()
    assert len(pushes.sent) == 2


def test_reminder_29_minutes_late_is_still_sent(client, pair, create_ritual, clock, tick, pushes):
    clock.set(MONDAY_NOON)
    create_ritual(**EVENING)
    clock.set(FIRE + timedelta(minutes=29))
    tick()
    assert len(pushes.sent) == 2
    assert {m.ttl_seconds for m in pushes.sent} == {(10 + 30 - 29) * 60}


def test_after_days_down_only_a_current_reminder_is_sent_never_a_burst(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    # Down from Monday noon until Thursday 17:35Z: three reminders missed, Thursday's is
    # 15 minutes old and still worth sending.
    clock.set(FIRE + timedelta(days=3, minutes=15))
    tick()
    assert len(pushes.sent) == 2
    assert {m.data["occurrence_at"] for m in pushes.sent} == {"2026-03-05T17:30:00Z"}
    path = f"/v1/couple/rituals/{ritual['id']}"
    assert client.get(path, headers=pair.alex).json["next_reminder_at"] == "2026-03-06T17:20:00Z"


def test_paused_ritual_gets_no_reminder_and_resumes(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    path = f"/v1/couple/rituals/{ritual['id']}"
    client.patch(path, json={"paused": True}, headers=pair.sam)
    clock.set(FIRE)
    tick()
    assert pushes.sent == []
    client.patch(path, json={"paused": False}, headers=pair.sam)
    tick()
    assert pushes.sent == []  # resumed after today's reminder time: the next one is tomorrow
    clock.set(FIRE + timedelta(days=1))
    tick()
    assert len(pushes.sent) == 2


def test_pause_that_the_clock_has_not_seen_yet_still_stops_it(
    client, pair, create_ritual, clock, tick, pushes
):
    """A due row whose ritual was paused by a path that left next_fire_at is still skipped."""
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    db.session.get(Ritual, ritual["id"]).paused = True  # next_fire_at left as it was
    db.session.commit()
    clock.set(FIRE)
    tick()
    assert pushes.sent == []
    assert db.session.get(Ritual, ritual["id"]).next_fire_at is None


def test_deleted_ritual_gets_no_reminder(client, pair, create_ritual, clock, tick, pushes):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    assert client.delete(f"/v1/couple/rituals/{ritual['id']}", headers=pair.alex).status_code == 204
    clock.set(FIRE)
    tick()
    assert pushes.sent == []
    assert reminder_count() == 0


def test_disabled_reminder_sends_nothing(client, pair, create_ritual, clock, tick, pushes):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    path = f"/v1/couple/rituals/{ritual['id']}"
    body = client.patch(path, json={"reminder": {"enabled": False}}, headers=pair.alex).json
    assert body["next_reminder_at"] is None
    assert body["next_occurrence_at"] == "2026-03-02T17:30:00Z"
    clock.set(FIRE)
    tick()
    assert pushes.sent == []


def test_edited_schedule_takes_effect_on_the_next_tick(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    path = f"/v1/couple/rituals/{ritual['id']}"
    clock.set(FIRE - timedelta(minutes=1))
    client.patch(path, json={"schedule": {"time": "19:00"}}, headers=pair.alex)
    clock.set(FIRE)
    tick()
    assert pushes.sent == []
    clock.set(datetime(2026, 3, 2, 17, 50, tzinfo=UTC))
    tick()
    assert {m.data["occurrence_at"] for m in pushes.sent} == {"2026-03-02T18:00:00Z"}
    # A longer lead time moves tomorrow's reminder earlier.
    client.patch(path, json={"reminder": {"minutes_before": 60}}, headers=pair.alex)
    assert client.get(path, headers=pair.alex).json["next_reminder_at"] == "2026-03-03T17:00:00Z"


def test_unpaired_couple_gets_no_reminder(client, pair, create_ritual, clock, tick, pushes):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    assert client.delete("/v1/couple", headers=pair.sam).status_code == 204
    clock.set(FIRE)
    tick()
    # Alex is told about the unpairing, and that is all.
    assert [m.category for m in pushes.sent] == ["pairing"]
    assert reminder_count() == 0
    assert db.session.get(Ritual, ritual["id"]).next_fire_at is None


def test_reminder_is_not_held_by_quiet_hours_and_respects_the_switch(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    create_ritual(**EVENING)
    client.patch("/v1/me", json={"quiet_hours": {"start": "18:00", "end": "07:00"}},
                 headers=pair.alex)  # fmt: skip
    client.patch(
        "/v1/me", json={"notification_preferences": {"ritual_reminders": False}}, headers=pair.sam
    )
    clock.set(FIRE)
    tick()
    # Alex: at the time the couple chose, quiet hours or not. Sam: in the feed, not pushed.
    assert [m.data["notification_id"] for m in pushes.sent] == [
        str(feed(client, pair.alex)[0]["id"])
    ]
    assert len(feed(client, pair.sam)) == 1


def test_tick_is_idempotent_per_occurrence_and_partner(client, pair, create_ritual, clock, app):
    """A second clock that saw the row before it advanced cannot send the reminder twice."""
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    clock.set(FIRE)
    first = reminders.run_due(db.session, moment=FIRE)
    assert (first.reminded, first.notifications) == (1, 2)
    # Rewind the row as a stale reader would see it, and tick again: the key decides.
    row = db.session.get(Ritual, ritual["id"])
    row.next_fire_at, row.next_fire_day, row.reminded_through = FIRE, None, None
    db.session.commit()
    second = reminders.run_due(db.session, moment=FIRE)
    assert (second.reminded, second.notifications) == (1, 0)
    keys = db.session.scalars(select(Notification.dedupe_key)).all()
    assert sorted(keys) == sorted(
        f"reminder:{ritual['id']}:2026-03-02:{uid}" for uid in (pair.alex_id, pair.sam_id)
    )


def test_many_due_rituals_span_several_batches(client, pair, create_ritual, clock):
    clock.set(MONDAY_NOON)
    for minute in range(7):
        create_ritual(**{**EVENING, "schedule": {**EVENING["schedule"], "time": f"18:3{minute}"}})
    clock.set(datetime(2026, 3, 2, 17, 40, tzinfo=UTC))
    result = reminders.run_due(db.session, moment=clock.current, batch_size=3)
    assert (result.reminded, result.notifications, result.skipped_late) == (7, 14, 0)
    assert reminder_count() == 14


def test_spring_forward_gap_fires_when_the_clocks_jump(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    create_ritual(
        title="Night owls",
        schedule={"days": ["sat", "sun", "mon"], "time": "02:30"},
        reminder={"enabled": True, "minutes_before": 0},
    )
    # 02:30 does not exist in Berlin on 2026-03-29: it fires at 03:00 CEST = 01:00Z.
    clock.set(datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC))
    tick()
    assert pushes.sent == []
    clock.set(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    tick()
    assert {m.data["occurrence_at"] for m in pushes.sent} == {"2026-03-29T01:00:00Z"}
    assert {m.data["local_date"] for m in pushes.sent} == {"2026-03-29"}
    clock.set(datetime(2026, 3, 30, 0, 30, tzinfo=UTC))
    tick()
    assert {m.data["occurrence_at"] for m in pushes.sent[2:]} == {"2026-03-30T00:30:00Z"}


def test_fall_back_overlap_fires_once_at_the_first(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    create_ritual(
        title="Night owls",
        schedule={"days": ["sun"], "time": "02:30"},
        reminder={"enabled": True, "minutes_before": 0},
    )
    # 02:30 happens twice in Berlin on 2026-10-25: 00:30Z (CEST) and 01:30Z (CET).
    for minute in range(0, 120, 1):
        clock.set(datetime(2026, 10, 25, 0, 0, tzinfo=UTC) + timedelta(minutes=minute))
        reminders.run_due(db.session, moment=clock.current)
    assert reminder_count() == 2
    occurrences = db.session.scalars(select(Notification.data)).all()
    assert {d["occurrence_at"] for d in occurrences} == {"2026-10-25T00:30:00Z"}


def test_reminder_tick_is_registered_every_30_seconds(app):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=app.extensions["hearth_queue"].connection)
    scheduler.load_config_from_file("workers.cron")
    jobs = {job.func.__module__ + "." + job.func.__name__: job for job in scheduler.get_jobs()}
    assert jobs[TICK_JOB].interval == 30


def test_the_clock_reads_the_next_fire_at_index():
    """The tick's query is a range scan of the next_fire_at index, whatever the table size."""
    from sqlalchemy import text

    statement = reminders.due_rituals(moment=FIRE, batch_size=500)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))
        else:
            plan = " ".join(
                str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
    assert "ix_rituals_next_fire_at" in plan, plan


def test_editing_the_wording_after_the_reminder_time_does_not_skip_it(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    ritual = create_ritual(**EVENING)
    path = f"/v1/couple/rituals/{ritual['id']}"
    # 10 s after the reminder's time, before the clock's tick: only the words change.
    clock.set(FIRE + timedelta(seconds=10))
    body = client.patch(path, json={"title": "Kiss", "completion": "both"}, headers=pair.sam).json
    assert body["next_reminder_at"] == "2026-03-02T17:20:00Z"
    clock.set(FIRE + timedelta(seconds=20))
    tick()
    assert [m.title for m in pushes.sent] == ["Kiss", "Kiss"]


def test_a_ritual_with_an_unusable_schedule_does_not_wedge_the_clock(
    client, pair, create_ritual, clock, tick, pushes
):
    clock.set(MONDAY_NOON)
    broken = create_ritual(**EVENING)
    fine = create_ritual(**EVENING)
    # As if the zone had left the tz database since the ritual was made.
    db.session.get(Ritual, broken["id"]).timezone = "Mars/Olympus_Mons"
    db.session.commit()
    clock.set(FIRE)
    tick()
    assert {m.data["ritual_id"] for m in pushes.sent} == {str(fine["id"])}
    assert db.session.get(Ritual, broken["id"]).next_fire_at is None
    assert db.session.get(Ritual, fine["id"]).next_fire_at == FIRE + timedelta(days=1)
