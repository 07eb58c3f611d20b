"""Devices registered and removed at once (PostgreSQL).

Before the user's row was locked first, two new phones registering at once left the user
with a device over the cap; a token signed out between the registration's refused insert
and its read of the row answered 500 (the read found nothing).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.devices.models import Device
from api.devices.service import MAX_DEVICES_PER_USER
from api.extensions import db
from tests.conftest import auth
from tests.factories import DeviceFactory, UserFactory
from tests.race_helpers import meanwhile

pytestmark = pytest.mark.postgres


def _register(client, uid: str, token: str) -> int:
    body = {"token": token, "platform": "ios"}
    return client.post("/v1/devices", json=body, headers=auth(uid)).status_code


def test_two_new_phones_at_once_keep_the_device_cap(app, client):
    alex = UserFactory(uid="alex")
    for _ in range(MAX_DEVICES_PER_USER - 1):
        DeviceFactory(user=alex)
    other = lambda: _register(app.test_client(), "alex", "token-b" * 20)  # noqa: E731
    # The other phone registers after this one chose what to evict (nothing), before it commits.
    with meanwhile(other, before="SELECT devices.id", after=True) as answers:
        assert _register(client, "alex", "token-a" * 20) == 201
    assert answers == [201]
    kept = db.session.scalar(select(func.count()).where(Device.user_id == alex.id))
    assert kept == MAX_DEVICES_PER_USER


def test_a_token_signed_out_while_another_account_registers_it_is_not_a_500(app, client):
    sam = UserFactory(uid="sam")
    UserFactory(uid="alex")
    device = DeviceFactory(user=sam)
    token, device_id = device.token, device.id

    def sign_out() -> int:
        path = f"/v1/devices/{device_id}"
        return app.test_client().delete(path, headers=auth("sam")).status_code

    with meanwhile(sign_out, before="SELECT devices") as answers:
        status = _register(client, "alex", token)
    assert answers == [204]
    assert status in (200, 201)
