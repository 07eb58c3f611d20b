"""Streak reads, milestones, freezes, pauses, nudges and the evening at-risk push."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from api.extensions import db
from api.streaks import service
from tests.conftest import auth
from tests.streaks.conftest import BERLIN, at


def days_of_checkins(pair, clock, ritual, start_day, n, who=("alex",), hour=18):
    """Check in on n consecutive days from start_day (day of March 2026), at hour Berlin."""
    for i in range(n):
        clock.set(at(BERLIN, 2026, 3, start_day + i, hour, 0))
        for name in who:
            assert pair.check_in(getattr(pair, name), ritual).status_code == 201


def test_streak_fields_exactly(pair, clock):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 2, 3)
    assert pair.streak(kiss) == {
        "ritual_id": kiss.id,
        "current": 3,
        "longest": 3,
        "completed_today": True,
        "at_risk": False,
        "freezes_available": 0,
        "last_completed_date": "2026-03-04",
    }


def test_today_incomplete_does_not_break_but_a_passed_day_does(pair, clock):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 2, 3)
    clock.set(at(BERLIN, 2026, 3, 5, 12, 0))
    assert (pair.streak(kiss)["current"], pair.streak(kiss)["completed_today"]) == (3, False)
    clock.set(at(BERLIN, 2026, 3, 6, 12, 0))  # Thursday 5th has passed incomplete
    streak = pair.streak(kiss)
    assert (streak["current"], streak["longest"]) == (0, 3)
    # a late check-in for yesterday repairs it
    assert pair.check_in(pair.sam, kiss, local_date="2026-03-05").status_code == 201
    assert pair.streak(kiss)["current"] == 4


def test_weekend_does_not_break_a_weekday_ritual(pair, clock):
    coffee = pair.ritual(days=["mon", "tue", "wed", "thu", "fri"])
    days_of_checkins(pair, clock, coffee, 2, 5)  # Mon 2 .. Fri 6
    clock.set(at(BERLIN, 2026, 3, 9, 8, 0))  # Monday after
    assert pair.streak(coffee)["current"] == 5
    days_of_checkins(pair, clock, coffee, 9, 1)
    assert pair.streak(coffee)["current"] == 6


def test_freeze_earned_at_seven_and_consumed_by_a_miss(pair, clock):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 1, 7)
    assert pair.streak(kiss)["freezes_available"] == 1
    # the 8th is missed; on the 9th the freeze has been used and the streak goes on
    days_of_checkins(pair, clock, kiss, 9, 1)
    streak = pair.streak(kiss)
    assert (streak["current"], streak["freezes_available"]) == (8, 0)
    clock.set(at(BERLIN, 2026, 3, 20, 12, 0))  # long gone: broken, but longest remembered
    assert (pair.streak(kiss)["current"], pair.streak(kiss)["longest"]) == (0, 8)


def test_paused_span_counts_neither_way(pair, clock):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 2, 3)  # 2, 3, 4
    clock.set(at(BERLIN, 2026, 3, 5, 9, 0))
    kiss.paused = True
    db.session.commit()
    clock.set(at(BERLIN, 2026, 3, 5, 20, 30))
    assert pair.streak(kiss)["at_risk"] is False, "a paused day is never at risk"
    clock.set(at(BERLIN, 2026, 3, 9, 9, 0))
    kiss.paused = False
    db.session.commit()
    assert pair.streak(kiss)["current"] == 3
    days_of_checkins(pair, clock, kiss, 9, 1)
    assert pair.streak(kiss)["current"] == 4


def test_pause_and_resume_the_same_day_leaves_no_span(pair, clock):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 2, 2)
    clock.set(at(BERLIN, 2026, 3, 4, 9, 0))
    kiss.paused = True
    db.session.commit()
    kiss.paused = False
    db.session.commit()
    clock.set(at(BERLIN, 2026, 3, 5, 9, 0))  # the 4th counted, and was missed
    assert pair.streak(kiss)["current"] == 0


def test_milestones_go_to_both_partners_once_per_run(pair, clock, run_jobs):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 2, 3, who=("alex", "sam"))
    for who in (pair.alex, pair.sam):
        [push] = pair.feed(who, "streak_milestone")
        assert push["title"] == "3 in a row!"
    pair.streak(kiss)
    clock.set(at(BERLIN, 2026, 3, 8, 9, 0))  # broken
    assert pair.streak(kiss)["current"] == 0
    days_of_checkins(pair, clock, kiss, 8, 3)  # a new run reaches 3 again
    assert len(pair.feed(pair.sam, "streak_milestone")) == 2
    assert run_jobs() >= 1


def test_streaks_of_every_ritual_in_constant_queries(pair, clock):
    rituals = [pair.ritual(title=f"R{i}") for i in range(6)]
    days_of_checkins(pair, clock, rituals[0], 2, 3)

    def count_queries(path):
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            response = pair.client.get(path, headers=auth("alex"))
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        assert response.status_code == 200
        return response.get_json(), len(statements)

    body, six = count_queries("/v1/couple/streaks")
    assert [s["ritual_id"] for s in body] == [r.id for r in rituals]
    assert body[0]["current"] == 3 and body[1]["current"] == 0
    for ritual in rituals[2:]:
        ritual.deleted_at = clock.current
    db.session.commit()
    body, two = count_queries("/v1/couple/streaks")
    assert len(body) == 2
    assert six == two, "one query per table, however many rituals"
    assert six <= 8


def test_nudge_once_per_day_then_429(pair, clock):
    coffee = pair.ritual(title="Coffee")
    clock.set(at(BERLIN, 2026, 3, 2, 7, 30))
    first = pair.nudge(pair.alex, coffee)
    assert first.status_code == 202
    assert first.get_json()["local_date"] == "2026-03-02"
    [push] = pair.feed(pair.sam, "partner_nudge")
    assert push["body"] == "Alex is waiting for your Coffee"
    again = pair.nudge(pair.alex, coffee)
    assert again.status_code == 429
    assert again.content_type == "application/problem+json"
    # until 04:00 Berlin on the 3rd: 20h30
    assert again.headers["Retry-After"] == str(20 * 3600 + 30 * 60)
    assert pair.nudge(pair.sam, coffee).status_code == 202, "per sender"
    clock.set(at(BERLIN, 2026, 3, 3, 3, 59))
    assert pair.nudge(pair.alex, coffee).status_code == 429, "still the 2nd until 04:00"
    clock.set(at(BERLIN, 2026, 3, 3, 4, 0))
    assert pair.nudge(pair.alex, coffee).status_code == 202


def test_no_nudge_once_the_day_needs_nothing_more_from_the_partner(pair, clock):
    """Either: one check-in by anyone completes the day. Both: only the partner's own ends it."""
    clock.set(at(BERLIN, 2026, 3, 2, 7, 30))
    coffee = pair.ritual(title="Coffee", completion="either")
    assert pair.check_in(pair.alex, coffee).status_code == 201
    done = pair.nudge(pair.alex, coffee)
    assert done.status_code == 409
    assert done.content_type == "application/problem+json"
    assert done.get_json()["type"].endswith("/day-already-complete")

    kiss = pair.ritual(title="Kiss", completion="both")
    assert pair.check_in(pair.alex, kiss).status_code == 201
    assert pair.nudge(pair.alex, kiss).status_code == 202, "Sam's check-in is still due"
    [push] = pair.feed(pair.sam, "partner_nudge")
    assert push["data"]["ritual_id"] == str(kiss.id)
    waiting = pair.nudge(pair.sam, kiss)
    assert waiting.status_code == 409
    assert waiting.get_json()["type"].endswith("/partner-already-done")
    assert pair.feed(pair.alex, "partner_nudge") == []


@pytest.fixture
def tick(app):
    def run():
        from workers.scheduler import streak_at_risk_tick

        return streak_at_risk_tick()

    return run


def test_at_risk_push_at_20_local_once_per_day(pair, clock, tick):
    kiss = pair.ritual()
    days_of_checkins(pair, clock, kiss, 2, 2)
    clock.set(at(BERLIN, 2026, 3, 4, 19, 59))
    assert pair.streak(kiss)["at_risk"] is False
    assert tick() == 0
    clock.set(at(BERLIN, 2026, 3, 4, 20, 0))
    assert pair.streak(kiss)["at_risk"] is True
    assert tick() == 1
    clock.advance(minutes=5)
    assert tick() == 0
    for who in (pair.alex, pair.sam):
        [push] = pair.feed(who, "streak_at_risk")
        assert "at 2" in push["body"]
    pair.check_in(pair.alex, kiss)
    assert pair.streak(kiss)["at_risk"] is False


def test_no_at_risk_push_below_two_or_when_done(pair, clock, tick):
    short, done = pair.ritual(title="Short"), pair.ritual(title="Done")
    days_of_checkins(pair, clock, short, 3, 1)
    days_of_checkins(pair, clock, done, 2, 3)
    clock.set(at(BERLIN, 2026, 3, 4, 21, 0))
    assert pair.streak(short)["at_risk"] is True, "at risk, but a streak of 1 is not pushed"
    assert tick() == 0
    assert pair.feed(pair.alex, "streak_at_risk") == []


def test_at_risk_for_both_ritual_reminds_only_the_missing_partner(pair, clock, tick):
    coffee = pair.ritual(completion="both")
    days_of_checkins(pair, clock, coffee, 2, 2, who=("alex", "sam"))
    clock.set(at(BERLIN, 2026, 3, 4, 8, 0))
    pair.check_in(pair.alex, coffee)
    clock.set(at(BERLIN, 2026, 3, 4, 22, 0))
    assert tick() == 1
    assert pair.feed(pair.alex, "streak_at_risk") == []
    assert len(pair.feed(pair.sam, "streak_at_risk")) == 1


def test_at_risk_service_skips_paused_and_deleted(pair, clock):
    paused, deleted = pair.ritual(title="P"), pair.ritual(title="D")
    days_of_checkins(pair, clock, paused, 2, 2)
    days_of_checkins(pair, clock, deleted, 2, 2)
    clock.set(at(BERLIN, 2026, 3, 4, 21, 0))
    paused.paused = True
    deleted.deleted_at = clock.current
    db.session.commit()
    assert service.send_at_risk_nudges(db.session) == 0


def test_a_ritual_created_paused_does_not_count_until_resumed(pair, clock):
    clock.set(at(BERLIN, 2026, 3, 2, 9, 0))
    kiss = pair.ritual(paused=True)
    clock.set(at(BERLIN, 2026, 3, 2, 21, 0))
    assert pair.check_in(pair.alex, kiss).status_code == 201, "recorded in the history"
    streak = pair.streak(kiss)
    # The day a pause starts counts when it was completed (API.md: never takes a day away).
    assert (streak["current"], streak["completed_today"], streak["at_risk"]) == (1, True, False)
    clock.set(at(BERLIN, 2026, 3, 4, 9, 0))
    kiss.paused = False  # the 3rd was paused (neutral), the 4th counts again
    db.session.commit()
    assert pair.streak(kiss)["current"] == 1
    days_of_checkins(pair, clock, kiss, 4, 2)
    assert pair.streak(kiss)["current"] == 3
