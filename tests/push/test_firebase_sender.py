"""FirebaseSender against the fake FCM server, through the real firebase-admin client."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import requests

from api.config import Config
from tests.fakes.google import FCM_ERRORS, FakeGoogle
from workers.fcm import FirebaseSender
from workers.push import PushMessage

SENDER_NOW = datetime(2026, 3, 29, 6, 30, tzinfo=UTC)


def message(device_id: int = 1, **overrides: object) -> PushMessage:
    base = PushMessage(
        device_id=device_id,
        token=f"token-{device_id}",
        title="Coffee time",
        body="Your morning coffee ritual starts in 10 minutes",
        data={"notification_id": str(100 + device_id), "ritual_id": "7"},
        category="ritual_reminder",
        channel_id="ritual_reminders",
        collapse_key=None,
        ttl_seconds=None,
        priority="high",
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_message_shape_with_collapse_key_and_ttl(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle, clock
) -> None:
    clock.set(SENDER_NOW)
    [result] = firebase_sender.send(
        [message(collapse_key="ritual-7-reminder", ttl_seconds=1800, priority="high")]
    )

    assert result.ok and result.message_id and result.error_code is None
    [sent] = fake_google.accepted
    assert sent.message["token"] == "token-1"
    assert sent.message["notification"] == {
        "title": "Coffee time",
        "body": "Your morning coffee ritual starts in 10 minutes",
    }
    assert sent.data == {"notification_id": "101", "ritual_id": "7", "category": "ritual_reminder"}
    android = sent.message["android"]
    assert android["priority"] == "high"
    assert android["collapse_key"] == "ritual-7-reminder"
    assert android["ttl"] == "1800s"
    assert android["notification"]["channel_id"] == "ritual_reminders"
    headers = sent.message["apns"]["headers"]
    assert headers["apns-collapse-id"] == "ritual-7-reminder"
    assert headers["apns-expiration"] == str(int(SENDER_NOW.timestamp()) + 1800)
    assert headers["apns-priority"] == "10"


def test_message_without_collapse_key_or_ttl(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle
) -> None:
    [result] = firebase_sender.send([message(priority="normal", category="affirmation")])

    assert result.ok
    [sent] = fake_google.accepted
    android = sent.message["android"]
    assert "collapse_key" not in android and "ttl" not in android
    assert android["priority"] == "normal"
    headers = sent.message["apns"]["headers"]
    assert "apns-expiration" not in headers
    assert headers["apns-priority"] == "5"
    # One tag per notification: a copy resent after a crash replaces the first on the phone.
    assert headers["apns-collapse-id"] == "n101"
    assert android["notification"]["tag"] == "n101"
    assert sent.data["category"] == "affirmation"


@pytest.mark.parametrize(
    ("code", "retry_after"),
    [
        ("UNREGISTERED", None),
        ("SENDER_ID_MISMATCH", None),
        ("INVALID_ARGUMENT", None),
        ("QUOTA_EXCEEDED", 30),
        ("UNAVAILABLE", 12),
        ("INTERNAL", None),
        ("THIRD_PARTY_AUTH_ERROR", None),
    ],
)
def test_each_fcm_error_maps_to_its_code(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle, code: str, retry_after: int | None
) -> None:
    fake_google.answer_token("token-2", code, retry_after=retry_after)

    results = firebase_sender.send([message(1), message(2), message(3)])

    assert [r.ok for r in results] == [True, False, True]
    failed = results[1]
    assert failed.device_id == 2
    assert failed.error_code == code
    assert failed.retry_after == retry_after
    assert failed.detail and code in failed.detail
    assert failed.invalid_token is (code == "INVALID_ARGUMENT")
    # No retry inside the client, not even for 500/503 or 401: the job decides, so the
    # fake saw exactly one request per message.
    assert len(fake_google.requests) == 3
    assert [r.status for r in fake_google.requests if r.token == "token-2"] == [FCM_ERRORS[code][0]]


def test_invalid_argument_about_the_message_does_not_blame_the_token(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle
) -> None:
    # "from" is a reserved data key: FCM refuses the message, not the token.
    [result] = firebase_sender.send([message(data={"from": "alex"})])

    assert result.error_code == "INVALID_ARGUMENT"
    assert result.invalid_token is False
    assert "Invalid data payload key: from" in (result.detail or "")


def test_one_oauth_token_for_many_messages_and_one_app(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle
) -> None:
    firebase_sender.send([message(i) for i in range(1, 21)])
    app = firebase_sender.app()
    firebase_sender.send([message(i) for i in range(21, 41)])

    assert firebase_sender.app() is app
    assert len(fake_google.accepted) == 40
    assert len(fake_google.token_requests) == 1
    assert app.options.get("httpTimeout") == 5


def test_more_than_500_messages_go_in_several_batches(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle
) -> None:
    results = firebase_sender.send([message(i) for i in range(1, 503)])

    assert len(results) == 502 and all(r.ok for r in results)
    assert [r.device_id for r in results] == list(range(1, 503))
    assert fake_google.accepted_tokens() == {f"token-{i}": 1 for i in range(1, 503)}


def test_refused_access_token_is_refreshed_for_the_next_batch(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle
) -> None:
    firebase_sender.send([message(1)])
    fake_google.revoke_access_tokens()

    [refused] = firebase_sender.send([message(2)])
    [retried] = firebase_sender.send([message(2)])

    assert refused.error_code == "UNAUTHENTICATED"
    assert retried.ok
    assert len(fake_google.token_requests) == 2


def test_a_bad_service_account_key_sends_nothing(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle, service_account_file
) -> None:
    # Same key id, another private key: the fake's token endpoint must refuse the signature.
    impostor = FakeGoogle(sa_key_id=fake_google.sa_key_id)
    info = json.loads(service_account_file.read_text())
    info["private_key"] = _pem(impostor)
    service_account_file.write_text(json.dumps(info))

    results = firebase_sender.send([message(1), message(2)])

    assert [r.error_code for r in results] == ["UNAVAILABLE", "UNAVAILABLE"]
    assert "invalid_grant" in (results[0].detail or "")
    assert fake_google.requests == []


def _pem(fake: FakeGoogle) -> str:
    from tests.fakes.google import _pem_private

    return _pem_private(fake.sa_key)


def test_importing_workers_makes_no_firebase_app() -> None:
    code = (
        "import firebase_admin, api, workers.delivery, workers.fcm as f; "
        "from api.config import Config; "
        "f.FirebaseSender(Config.from_env({}, PUSH_BACKEND='firebase')); "
        "print(len(firebase_admin._apps))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


# ---- the fake validates requests as FCM does (raw HTTP, bypassing the SDK's own checks) ----


def _raw_send(fake: FakeGoogle, body: object, sender: FirebaseSender) -> requests.Response:
    sender.send([message(99)])  # gets an access token through the real OAuth flow
    token = sender.app().credential.get_credential().token
    return requests.post(
        f"{fake.url}/v1/projects/{fake.project_id}/messages:send",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


@pytest.mark.parametrize(
    ("message_json", "field"),
    [
        ({"notification": {"title": "x"}}, "message.token"),
        ({"token": "t", "data": {"n": 1}}, "message.data[0].value"),
        ({"token": "t", "data": {"google.x": "1"}}, "message.data[0].key"),
        ({"token": "t", "android": {"ttl": "3600"}}, "message.android.ttl"),
        ({"token": "t", "android": {"ttl": 3600}}, "message.android.ttl"),
        ({"token": "t", "android": {"priority": "urgent"}}, "message.android.priority"),
        (
            {"token": "t", "apns": {"headers": {"apns-expiration": 5}}},
            "message.apns.headers[0].value",
        ),
        ({"token": "t", "apns": {"headers": {"apns-expiration": "soon"}}}, "message.apns.headers"),
        ({"token": "t", "bogus": 1}, "message.bogus"),
        ({"token": "has space"}, "message.token"),
    ],
)
def test_fake_refuses_what_fcm_refuses(
    fake_google: FakeGoogle, firebase_sender: FirebaseSender, message_json: dict, field: str
) -> None:
    response = _raw_send(fake_google, {"message": message_json}, firebase_sender)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400
    types = {d["@type"]: d for d in error["details"]}
    fcm_error = types["type.googleapis.com/google.firebase.fcm.v1.FcmError"]
    assert fcm_error["errorCode"] == "INVALID_ARGUMENT"
    violations = types["type.googleapis.com/google.rpc.BadRequest"]["fieldViolations"]
    assert violations[0]["field"] == field


def test_fake_refuses_unknown_bearer_tokens(fake_google: FakeGoogle) -> None:
    response = requests.post(
        f"{fake_google.url}/v1/projects/{fake_google.project_id}/messages:send",
        json={"message": {"token": "t"}},
        headers={"Authorization": "Bearer forged"},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_scripted_answers_run_out(firebase_sender: FirebaseSender, fake_google: FakeGoogle) -> None:
    fake_google.answer_next_calls("UNAVAILABLE", times=2, retry_after=3)

    first = firebase_sender.send([message(1), message(2)])
    second = firebase_sender.send([message(1), message(2)])

    assert [r.error_code for r in first] == ["UNAVAILABLE", "UNAVAILABLE"]
    assert [r.retry_after for r in first] == [3.0, 3.0]
    assert all(r.ok for r in second)


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def _clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_the_fcm_session_reads_proxy_settings_once_not_per_push(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests would walk os.environ for proxies on every push (a fifth of its CPU)."""
    _clear_proxies(monkeypatch)
    assert firebase_sender.send([message(1)])[0].ok
    # A proxy that answers nothing, set after the session was configured: not consulted.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    assert firebase_sender.send([message(2)])[0].ok
    assert len(fake_google.accepted) == 2


def test_a_proxy_set_before_the_first_push_is_kept(
    firebase_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from firebase_admin import messaging

    from workers.fcm import FirebaseSender

    _clear_proxies(monkeypatch)
    monkeypatch.setenv("https_proxy", "http://proxy.internal:3128")
    session = messaging._get_messaging_service(
        FirebaseSender(firebase_config).app()
    )._client.session
    assert session.trust_env is False
    assert session.proxies["https"] == "http://proxy.internal:3128"


def test_sending_threads_are_kept_across_batches(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """send_each started one thread per message on every call; the sender keeps its pool."""
    import threading

    from workers.fcm import SEND_THREADS

    started: list[str] = []
    start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    batch = 40
    for run in range(5):
        results = firebase_sender.send([message(run * batch + i) for i in range(batch)])
        assert all(r.ok for r in results)
    assert len(fake_google.accepted) == 5 * batch
    assert 0 < len(started) <= SEND_THREADS < 5 * batch


def test_a_message_the_sdk_refuses_to_encode_fails_alone(
    firebase_sender: FirebaseSender, fake_google: FakeGoogle
) -> None:
    """An error firebase-admin did not map (here its encoder's ValueError) costs one copy."""
    bad = message(2, data={"notification_id": "102", "count": 3})  # not a string: refused
    results = firebase_sender.send([message(1), bad, message(3)])

    assert [r.ok for r in results] == [True, False, True]
    assert results[1].outcome_unknown and results[1].error_code == "UNKNOWN_OUTCOME"
    assert sorted(a.message["token"] for a in fake_google.accepted) == ["token-1", "token-3"]
