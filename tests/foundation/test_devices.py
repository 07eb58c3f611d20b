"""/v1/devices: upsert by token, moving between users, masking, deletion."""

from __future__ import annotations

from tests.conftest import auth
from tests.factories import DeviceFactory, UserFactory

TOKEN = "dGVzdC10b2tlbi0xMjM0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo"


def register(client, uid, token=TOKEN, platform="ios", **extra):
    return client.post(
        "/v1/devices", json={"token": token, "platform": platform, **extra}, headers=auth(uid)
    )


def test_new_token_is_201_then_200_when_known(client):
    first = register(client, "alex", app_version="1.2.0")
    assert first.status_code == 201
    body = first.get_json()
    assert body["platform"] == "ios"
    assert body["app_version"] == "1.2.0"
    assert TOKEN not in body["token"]
    assert body["token"].startswith(TOKEN[:4]) and body["token"].endswith(TOKEN[-4:])
    again = register(client, "alex", platform="ios", app_version="1.3.0")
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]
    assert again.get_json()["app_version"] == "1.3.0"


def test_token_moves_to_the_new_owner(client):
    register(client, "alex")
    moved = register(client, "sam", platform="android")
    assert moved.status_code == 201
    assert client.get("/v1/devices", headers=auth("alex")).get_json() == []
    sams = client.get("/v1/devices", headers=auth("sam")).get_json()
    assert [d["platform"] for d in sams] == ["android"]


def test_list_shows_only_masked_tokens(client):
    register(client, "alex", token="a" * 150)
    register(client, "alex", token="b" * 150, platform="android")
    listed = client.get("/v1/devices", headers=auth("alex")).get_json()
    assert len(listed) == 2
    assert all(len(d["token"]) < 20 for d in listed)


def test_delete_own_device_and_not_anothers(client):
    mine = register(client, "alex").get_json()["id"]
    theirs = register(client, "sam", token="other-token-" + "z" * 50).get_json()["id"]
    assert client.delete(f"/v1/devices/{theirs}", headers=auth("alex")).status_code == 404
    assert len(client.get("/v1/devices", headers=auth("sam")).get_json()) == 1
    assert client.delete(f"/v1/devices/{mine}", headers=auth("alex")).status_code == 204
    assert client.delete(f"/v1/devices/{mine}", headers=auth("alex")).status_code == 404


def test_bad_device_bodies_are_422(client):
    for payload in (
        {"token": TOKEN},
        {"token": TOKEN, "platform": "windows-phone"},
        {"token": "", "platform": "ios"},
        {"token": TOKEN, "platform": "ios", "user_id": 1},
    ):
        response = client.post("/v1/devices", json=payload, headers=auth("alex"))
        assert response.status_code == 422, payload
    assert client.get("/v1/devices", headers=auth("alex")).get_json() == []


def test_a_blank_or_implausible_token_is_422(client):
    """A token is what FCM or APNs gave the phone: 32+ characters of base64url, ':' and '.'."""
    for token in (
        " ",
        " " * 40,
        "ab",
        "a" * 31,
        "\u200b" * 40,
        "tok en " * 8,
        "x\ty" * 20,
        "é" * 40,
        TOKEN + "\n",
    ):
        response = client.post(
            "/v1/devices", json={"token": token, "platform": "ios"}, headers=auth("alex")
        )
        assert response.status_code == 422, repr(token)
        assert "token" in response.get_json()["errors"]
    assert client.get("/v1/devices", headers=auth("alex")).get_json() == []
    assert register(client, "alex", token="f" * 64).status_code == 201  # an APNs token


def test_the_list_never_shows_more_than_the_ends_of_a_token(client):
    """Four characters of each end at most, and nothing of a short token stored before 32
    characters were required (its ends would be most of it)."""
    alex = UserFactory(uid="alex")
    DeviceFactory(user=alex, token="ab")
    DeviceFactory(user=alex, token="0123456789abcdef")
    register(client, "alex", token="k" * 32)
    listed = sorted(d["token"] for d in client.get("/v1/devices", headers=auth("alex")).json)
    assert listed == ["kkkk…kkkk", "…", "…"]
