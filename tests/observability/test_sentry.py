"""Sentry: errors of web and jobs are sent, scrubbed of user texts, tokens, bodies and headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from api.observability.sentry import FILTERED, init_sentry, scrub_event

LOVE_NOTE = "I still think about our first walk by the river"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGV4In0.c2lnbmF0dXJl"


def test_scrubber_removes_texts_tokens_headers_and_bodies():
    event: dict[str, Any] = {
        "request": {
            "url": "https://api.hearth.app/v1/couple/memories?token=abc",
            "method": "POST",
            "headers": {
                "Authorization": f"Bearer {ID_TOKEN}",
                "Cookie": "session=1",
                "Content-Type": "application/json",
                "X-Request-ID": "r1",
            },
            "data": {"text": LOVE_NOTE},
            "query_string": "token=abc",
            "cookies": {"session": "1"},
            "env": {"REMOTE_ADDR": "10.0.0.1"},
        },
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": "duplicate key\n[SQL: INSERT INTO memories (text) VALUES (%s)]\n"
                    f"[parameters: ('{LOVE_NOTE}',)]",
                    "stacktrace": {
                        "frames": [{"function": "add", "vars": {"text": LOVE_NOTE, "n": "1"}}]
                    },
                }
            ]
        },
        "logentry": {"message": f"rejected Bearer {ID_TOKEN}", "params": []},
        "extra": {"fcm_token": "fcm-123", "notification": {"body": LOVE_NOTE, "id": 7}},
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT 1", "data": {"display_name": "Sam"}},
                {"category": "log", "message": f"token {ID_TOKEN} refused"},
            ]
        },
        "user": {"id": "42", "email": "sam@example.com", "ip_address": "10.0.0.1"},
    }

    scrubbed = scrub_event(event, {})
    text = json.dumps(scrubbed)

    for secret in (LOVE_NOTE, ID_TOKEN, "fcm-123", "session=1", "token=abc", "Sam", "sam@"):
        assert secret not in text, secret
    request = scrubbed["request"]
    assert "data" not in request and "cookies" not in request and "query_string" not in request
    assert request["url"] == "https://api.hearth.app/v1/couple/memories"
    assert request["headers"] == {"Content-Type": "application/json", "X-Request-ID": "r1"}
    [exception] = scrubbed["exception"]["values"]
    assert exception["value"].startswith("duplicate key") and "[SQL: INSERT" in exception["value"]
    assert "vars" not in exception["stacktrace"]["frames"][0]
    assert scrubbed["extra"] == {"fcm_token": FILTERED, "notification": {"body": FILTERED, "id": 7}}
    assert scrubbed["user"] == {"id": "42"}


class _Capture(Transport):
    """A Sentry transport that keeps the events instead of sending them."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def sentry_events() -> Iterator[list[dict[str, Any]]]:
    """Sentry started as init_sentry starts it, its events captured in this process."""
    transport = _Capture()
    real_init = sentry_sdk.init

    def init_with_capture(*args: Any, **kwargs: Any) -> Any:
        return real_init(*args, transport=transport, **kwargs)

    sentry_sdk.init = init_with_capture  # type: ignore[assignment]
    try:
        assert init_sentry(
            dsn="https://key@sentry.invalid/1", environment="test", process_kind="web"
        )
    finally:
        sentry_sdk.init = real_init  # type: ignore[assignment]
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_no_dsn_no_sentry():
    assert init_sentry(dsn=None, environment="test", process_kind="web") is False
    assert not sentry_sdk.get_client().is_active()


def test_a_500_reaches_sentry_without_the_body_token_or_locals(make_app, sentry_events):
    app = make_app()

    @app.post("/boom")
    def boom() -> str:
        from flask import request

        note = request.get_json()["text"]
        raise RuntimeError(f"could not store\n[parameters: ('{note}',)]")

    response = app.test_client().post(
        "/boom?token=abc",
        headers={"Authorization": f"Bearer dev:{ID_TOKEN[:20]}", "X-Request-ID": "r-sentry"},
        json={"text": LOVE_NOTE},
    )
    sentry_sdk.flush()

    assert response.status_code == 500
    [event] = sentry_events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["process"] == "web"
    text = json.dumps(event)
    assert LOVE_NOTE not in text and ID_TOKEN[:20] not in text
    # (The test's own source lines travel as frame context; the request itself is clean.)
    assert event["request"]["url"] == "http://localhost/boom" and "data" not in event["request"]
    assert "Authorization" not in event["request"]["headers"]
    assert all("vars" not in f for f in event["exception"]["values"][-1]["stacktrace"]["frames"])


def test_a_failing_job_reaches_sentry_scrubbed(app, sentry_events):
    from tests.conftest import run_queued_jobs

    app.extensions["hearth_queue"].enqueue("workers.delivery.deliver", None)
    with pytest.raises(AssertionError, match="failed"):
        run_queued_jobs(app)
    sentry_sdk.flush()

    [event] = sentry_events
    assert event["tags"]["process"] == "web"
    assert event["extra"]["rq-job"]["func"] == "workers.delivery.deliver"
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "rq"
    assert all("vars" not in f for f in event["exception"]["values"][-1]["stacktrace"]["frames"])
