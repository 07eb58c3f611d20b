"""Findings 3, 4 and 5: invite guessing, partner pushes and growth per user are bounded.

Before → after, each through HTTP (bodies sent with Content-Length and chunked):
- 300 join guesses from 300 fresh accounts on one address were all processed → the 31st in an
  hour from one client address is 429 (the address from TRUSTED_PROXIES hops of
  X-Forwarded-For behind a proxy, and a spoofed header is ignored without one).
- 200 affirmations gave 200 pushes → 20 pushed per sender per day, the rest inbox + feed only.
- 30 nudges a day, 49 more by re-creating rituals → one per ritual and three in all per day,
  deleting rituals gives none back (429 + Retry-After to the couple's next day); nudging a
  partner who already checked in → 409.
- 200 devices accepted → 10 kept, the least recently seen evicted; 200 invite rows per user →
  dead ones purged (tests/pairing/test_invites.py) and 20 new codes a day; gratitude and rituals
  without a quota → 50 entries / 20 new rituals a day (429), 1000 entries kept (409).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from api.affirmations import service as affirmations
from api.devices.models import Device
from api.extensions import db
from api.notifications.models import Notification
from tests.conftest import auth
from tests.factories import CoupleFactory, RitualFactory
from tests.hardening.framing import FRAMINGS, send
from tests.pairing.util import invite

MONDAY = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 in Berlin


def post(client, path: str, body: dict | None, uid: str, framing: str, **extra):
    raw = json.dumps(body).encode() if body is not None else b""
    return send(client, "POST", path, raw, framing=framing, headers={**auth(uid), **extra})


def cid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def couple(clock):
    clock.set(MONDAY)
    return CoupleFactory(a__uid="alex", b__uid="sam", timezone="Europe/Berlin")


# -- finding 3: invite guessing -------------------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_join_guesses_are_limited_per_client_address(client, framing):
    for n in range(30):
        response = post(client, "/v1/couple", {"code": "ZZZZ-ZZZZ"}, f"guesser{n}", framing)
        assert response.status_code == 404, n
    response = post(client, "/v1/couple", {"code": "ZZZZ-ZZZZ"}, "guesser30", framing)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    # A spoofed X-Forwarded-For buys nothing when no proxy is trusted (TRUSTED_PROXIES=0).
    spoofed = post(
        client,
        "/v1/couple",
        {"code": "ZZZZ-ZZZZ"},
        "guesser31",
        framing,
        **{"X-Forwarded-For": "203.0.113.9"},
    )
    assert spoofed.status_code == 429
    # Another address is not affected.
    other = client.post(
        "/v1/couple",
        json={"code": "ZZZZ-ZZZZ"},
        headers=auth("elsewhere"),
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other.status_code == 404


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()

    def guess(uid: str, forwarded: str):
        return client.post(
            "/v1/couple",
            json={"code": "ZZZZ-ZZZZ"},
            headers={**auth(uid), "X-Forwarded-For": forwarded},
        )

    for n in range(30):
        assert guess(f"p{n}", "203.0.113.5").status_code == 404
    assert guess("p30", "203.0.113.5").status_code == 429
    # The proxy's own address (the socket's) is shared by everyone: other clients still join.
    assert guess("p31", "203.0.113.6").status_code == 404
    # Only the hop the proxy appended counts: a client's own prefix is not believed.
    assert guess("p32", "198.51.100.1, 203.0.113.5").status_code == 429


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_paired_inviters_code_is_the_same_404_as_an_unknown_code(client, framing):
    code = invite(client, "inviter")
    assert (
        client.post(
            "/v1/couple", json={"code": invite(client, "kim")}, headers=auth("inviter")
        ).status_code
        == 201
    )
    known = post(client, "/v1/couple", {"code": code}, "guess-a", framing)
    unknown = post(client, "/v1/couple", {"code": "ZZZZ-ZZZZ"}, "guess-b", framing)
    assert known.status_code == unknown.status_code == 404
    assert known.get_json()["detail"] == unknown.get_json()["detail"]


# -- finding 4: partner pushes --------------------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_only_20_affirmations_a_day_are_pushed_the_rest_reach_the_inbox(client, couple, framing):
    n = affirmations.PUSHED_AFFIRMATIONS_PER_DAY + 5
    for _ in range(n):
        response = post(
            client,
            "/v1/couple/affirmations",
            {"text": "You are lovely.", "client_id": cid()},
            "alex",
            framing,
        )
        assert response.status_code == 201
    inbox = client.get("/v1/couple/affirmations?box=received&limit=100", headers=auth("sam"))
    assert len(inbox.get_json()["items"]) == n
    statuses = db.session.scalars(select(Notification.status)).all()
    db.session.remove()
    assert statuses.count("pending") == affirmations.PUSHED_AFFIRMATIONS_PER_DAY
    assert statuses.count("suppressed") == 5


def test_affirmation_pushes_come_back_the_next_day(client, couple, clock):
    for _ in range(affirmations.PUSHED_AFFIRMATIONS_PER_DAY + 1):
        client.post(
            "/v1/couple/affirmations", json={"text": "Hi", "client_id": cid()}, headers=auth("alex")
        )
    clock.advance(days=1)
    client.post(
        "/v1/couple/affirmations", json={"text": "Hi", "client_id": cid()}, headers=auth("alex")
    )
    newest = db.session.scalars(
        select(Notification.status).order_by(Notification.id.desc())
    ).first()
    db.session.remove()
    assert newest == "pending"


def test_three_nudges_a_day_in_all_and_deleting_rituals_gives_none_back(client, couple):
    rituals = [RitualFactory(couple=couple, created_by_id=couple.user_a_id) for _ in range(2)]
    first = f"/v1/couple/rituals/{rituals[0].id}"
    assert client.post(f"{first}/nudge", headers=auth("alex")).status_code == 202
    again = client.post(f"{first}/nudge", headers=auth("alex"))
    assert again.status_code == 429  # one per ritual per day
    # Delete it and make new ones: the day's count stays.
    assert client.delete(first, headers=auth("alex")).status_code == 204
    created = []
    for _ in range(2):
        body = {"title": "Tea", "schedule": {"days": ["mon"], "time": "20:00"}, "client_id": cid()}
        response = client.post("/v1/couple/rituals", json=body, headers=auth("alex"))
        assert response.status_code == 201
        created.append(response.get_json()["id"])
    assert (
        client.post(f"/v1/couple/rituals/{created[0]}/nudge", headers=auth("alex")).status_code
        == 202
    )
    assert (
        client.post(f"/v1/couple/rituals/{rituals[1].id}/nudge", headers=auth("alex")).status_code
        == 202
    )
    fourth = client.post(f"/v1/couple/rituals/{created[1]}/nudge", headers=auth("alex"))
    assert fourth.status_code == 429
    assert fourth.content_type == "application/problem+json"
    # 09:00 Berlin -> the couple's next day starts at 04:00: 19 hours.
    assert int(fourth.headers["Retry-After"]) == 19 * 3600
    # The partner's own nudges are their own.
    assert (
        client.post(f"/v1/couple/rituals/{created[1]}/nudge", headers=auth("sam")).status_code
        == 202
    )


def test_nudging_a_partner_who_already_checked_in_today_is_409(client, couple):
    ritual = RitualFactory(couple=couple, created_by_id=couple.user_a_id)
    path = f"/v1/couple/rituals/{ritual.id}"
    checked = client.post(f"{path}/check-ins", json={"client_id": cid()}, headers=auth("sam"))
    assert checked.status_code == 201, checked.get_json()
    response = client.post(f"{path}/nudge", headers=auth("alex"))
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.category == "partner_nudge")
        )
        == 0
    )


# -- finding 5: growth per user -------------------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_an_eleventh_device_evicts_the_least_recently_seen(client, clock, framing):
    clock.set(MONDAY)
    ids = []
    for n in range(10):
        clock.advance(minutes=1)
        response = post(
            client,
            "/v1/devices",
            {"token": f"phone-{n}-" + "t" * 30, "platform": "ios"},
            "many",
            framing,
        )
        assert response.status_code == 201
        ids.append(response.get_json()["id"])
    clock.advance(minutes=1)  # phone 0 is seen again: phone 1 is now the least recently seen
    assert (
        post(
            client,
            "/v1/devices",
            {"token": "phone-0-" + "t" * 30, "platform": "ios"},
            "many",
            framing,
        ).status_code
        == 200
    )
    clock.advance(minutes=1)
    eleventh = post(
        client, "/v1/devices", {"token": "phone-10-" + "t" * 30, "platform": "ios"}, "many", framing
    )
    assert eleventh.status_code == 201
    listed = sorted(d["id"] for d in client.get("/v1/devices", headers=auth("many")).get_json())
    assert listed == sorted([*ids[:1], *ids[2:], eleventh.get_json()["id"]])
    assert len(listed) == 10
    # A phone that changed hands counts for its new owner too.
    for n in range(10):
        post(
            client,
            "/v1/devices",
            {"token": f"other-{n}-" + "t" * 30, "platform": "ios"},
            "other",
            framing,
        )
    post(
        client, "/v1/devices", {"token": "phone-5-" + "t" * 30, "platform": "ios"}, "other", framing
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Device)
            .where(
                Device.user_id
                == db.session.scalar(
                    select(Device.user_id).where(Device.token == "phone-5-" + "t" * 30)
                )
            )
        )
        == 10
    )
    db.session.remove()


@pytest.mark.parametrize("framing", FRAMINGS)
def test_gratitude_entries_have_a_daily_quota(client, couple, framing):
    for _ in range(affirmations.GRATITUDE_PER_DAY):
        response = post(
            client, "/v1/couple/gratitude", {"text": "You.", "client_id": cid()}, "alex", framing
        )
        assert response.status_code == 201
    over = post(
        client, "/v1/couple/gratitude", {"text": "You.", "client_id": cid()}, "alex", framing
    )
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) == 19 * 3600
    # Deleting an entry gives no use back today.
    entry = client.get("/v1/couple/gratitude", headers=auth("alex")).get_json()["items"][0]
    assert (
        client.delete(f"/v1/couple/gratitude/{entry['id']}", headers=auth("alex")).status_code
        == 204
    )
    assert (
        post(
            client, "/v1/couple/gratitude", {"text": "You.", "client_id": cid()}, "alex", framing
        ).status_code
        == 429
    )


def test_gratitude_entries_kept_per_author_are_capped(client, couple, clock, monkeypatch):
    monkeypatch.setattr(affirmations, "GRATITUDE_PER_AUTHOR", 3)
    for _ in range(3):
        assert (
            client.post(
                "/v1/couple/gratitude", json={"text": "x", "client_id": cid()}, headers=auth("alex")
            ).status_code
            == 201
        )
    over = client.post(
        "/v1/couple/gratitude", json={"text": "x", "client_id": cid()}, headers=auth("alex")
    )
    assert over.status_code == 409
    assert "Retry-After" not in over.headers


def test_new_rituals_have_a_daily_quota_that_deletes_do_not_reset(client, couple, clock):
    from api.rituals.service import RITUALS_CREATED_PER_DAY

    def create():
        body = {"title": "Walk", "schedule": {"days": ["sun"], "time": "10:00"}, "client_id": cid()}
        return client.post("/v1/couple/rituals", json=body, headers=auth("alex"))

    for _ in range(RITUALS_CREATED_PER_DAY):
        made = create()
        assert made.status_code == 201
        assert (
            client.delete(
                f"/v1/couple/rituals/{made.get_json()['id']}", headers=auth("alex")
            ).status_code
            == 204
        )
    over = create()
    assert over.status_code == 429
    clock.advance(days=1)
    assert create().status_code == 201


def test_new_invite_codes_have_a_daily_quota(client, clock):
    from api.pairing.service import INVITES_PER_DAY

    clock.set(MONDAY)
    for _ in range(INVITES_PER_DAY):
        assert client.post("/v1/invites", headers=auth("inv")).status_code == 201
    over = client.post("/v1/invites", headers=auth("inv"))
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) == 17 * 3600  # until midnight UTC
