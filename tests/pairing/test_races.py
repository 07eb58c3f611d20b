"""Races, run for real: concurrent requests in threads against PostgreSQL.

Each test repeats its race RACE_LOOPS times (env PAIRING_RACE_LOOPS, default 50) with fresh
users, so the interleavings vary; every loop must end with the invariants intact.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from api.extensions import db
from api.pairing.models import Couple, Invite
from api.users.models import User
from tests.conftest import auth

pytestmark = pytest.mark.postgres

RACE_LOOPS = int(os.environ.get("PAIRING_RACE_LOOPS", "50"))
_ADDRESSES = itertools.count(int(ipaddress.IPv4Address("10.0.0.1")))


def race(app: Flask, calls: list[Callable]) -> list[int]:
    """Run each call(client) in its own thread, released together; their status codes."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        client = app.test_client()
        # Each racer from its own address: the per-address join limit is not what is tested.
        client.environ_base["REMOTE_ADDR"] = str(ipaddress.IPv4Address(next(_ADDRESSES)))
        barrier.wait()
        try:
            results[index] = call(client).status_code
        except BaseException as exc:  # surfaces in the assertion below, with the loop number
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results  # type: ignore[return-value]


def join_call(uid: str, code: str) -> Callable:
    return lambda client: client.post("/v1/couple", json={"code": code}, headers=auth(uid))


def new_code(client, uid: str) -> str:
    response = client.post("/v1/invites", headers=auth(uid))
    assert response.status_code == 201
    return response.get_json()["code"]


def assert_consistent() -> None:
    """No user in two active couples; users.couple_id and the active couples agree."""
    db.session.expire_all()
    active = db.session.scalars(select(Couple).where(Couple.unpaired_at.is_(None))).all()
    members = Counter(uid for c in active for uid in c.partner_ids)
    assert all(n == 1 for n in members.values()), members
    for couple in active:
        linked = db.session.scalars(select(User.id).where(User.couple_id == couple.id)).all()
        assert sorted(linked) == sorted(couple.partner_ids)
    dangling = db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(Couple, User.couple_id == Couple.id)
        .where(Couple.unpaired_at.is_not(None))
    )
    assert dangling == 0


def test_many_redeem_one_code_at_once_one_wins(app, client):
    for loop in range(RACE_LOOPS):
        inviter = f"inv{loop}"
        joiners = [f"j{loop}x{n}" for n in range(4)]
        for uid in joiners:
            client.get("/v1/me", headers=auth(uid))
        code = new_code(client, inviter)
        statuses = race(app, [join_call(uid, code) for uid in joiners])
        assert sorted(statuses) == [201, 404, 404, 404], (loop, statuses)
        assert_consistent()
        inviter_couple = db.session.scalar(select(User.couple_id).where(User.uid == inviter))
        assert inviter_couple is not None
        used = db.session.scalars(select(Invite).where(Invite.used_at.is_not(None))).all()
        assert len(used) == loop + 1
    assert db.session.scalar(select(func.count()).select_from(Couple)) == RACE_LOOPS


def test_a_joins_b_while_b_joins_c_one_couple(app, client):
    outcomes = Counter()
    for loop in range(RACE_LOOPS):
        a, b, c = f"a{loop}", f"b{loop}", f"c{loop}"
        client.get("/v1/me", headers=auth(a))
        code_b, code_c = new_code(client, b), new_code(client, c)
        statuses = race(app, [join_call(a, code_b), join_call(b, code_c)])
        # The loser is either paired already (409) or holds the code of someone who just
        # paired (404: the same as an unknown code).
        assert sorted(statuses) in ([201, 404], [201, 409]), (loop, statuses)
        outcomes["a+b" if statuses[0] == 201 else "b+c"] += 1
        assert_consistent()
        # The loser is single, and can still pair.
        loser = c if statuses[0] == 201 else a
        assert db.session.scalar(select(User.couple_id).where(User.uid == loser)) is None
    assert db.session.scalar(select(func.count()).select_from(Couple)) == RACE_LOOPS
    print(f"A joins B while B joins C, {RACE_LOOPS} loops: {dict(outcomes)}")


def test_two_people_redeem_each_others_codes_at_once(app, client):
    for loop in range(RACE_LOOPS):
        a, b = f"x{loop}", f"y{loop}"
        code_a, code_b = new_code(client, a), new_code(client, b)
        statuses = race(app, [join_call(a, code_b), join_call(b, code_a)])
        # and no deadlock (500); the loser's code belongs to someone who just paired (404), or
        # the loser has just been paired themselves (409).
        assert sorted(statuses) in ([201, 404], [201, 409]), (loop, statuses)
        assert_consistent()
    assert db.session.scalar(select(func.count()).select_from(Couple)) == RACE_LOOPS


def test_a_chain_of_joins_at_once_never_puts_anyone_in_two_couples(app, client):
    """u0 joins u1, u1 joins u2, ..., u4 joins u0: a ring of five people at the same moment."""
    for loop in range(RACE_LOOPS):
        ring = [f"r{loop}n{n}" for n in range(5)]
        codes = [new_code(client, uid) for uid in ring]
        calls = [join_call(uid, codes[(n + 1) % 5]) for n, uid in enumerate(ring)]
        statuses = race(app, calls)
        assert set(statuses) <= {201, 404, 409}, (loop, statuses)
        assert 1 <= statuses.count(201) <= 2, (loop, statuses)  # 5 people: at most 2 couples
        assert_consistent()


def test_double_tapped_new_invite_leaves_one_live_invite(app, client):
    for loop in range(RACE_LOOPS):
        uid = f"tap{loop}"
        client.get("/v1/me", headers=auth(uid))
        tap = lambda c, uid=uid: c.post("/v1/invites", headers=auth(uid))  # noqa: E731
        statuses = race(app, [tap, tap, tap])
        assert statuses == [201, 201, 201], (loop, statuses)
        user_id = db.session.scalar(select(User.id).where(User.uid == uid))
        live = db.session.scalar(
            select(func.count())
            .select_from(Invite)
            .where(
                Invite.inviter_id == user_id,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
            )
        )
        assert live == 1, loop


def test_both_partners_unpair_at_once_one_push(app, client):
    for loop in range(RACE_LOOPS):
        a, b = f"ua{loop}", f"ub{loop}"
        code = new_code(client, a)
        joined = client.post(
            "/v1/couple",
            json={"code": code},
            headers=auth(b),
            # Each pairing from its own address: the per-address join limit is not tested here.
            environ_base={"REMOTE_ADDR": str(ipaddress.IPv4Address(next(_ADDRESSES)))},
        )
        assert joined.status_code == 201
        leave = [lambda c, uid=uid: c.delete("/v1/couple", headers=auth(uid)) for uid in (a, b)]
        statuses = race(app, leave)
        assert 204 in statuses and set(statuses) <= {204, 404}, (loop, statuses)
        assert_consistent()
    from api.notifications.models import Notification

    unpaired = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.body.contains("unpaired"))
    )
    assert unpaired == RACE_LOOPS
