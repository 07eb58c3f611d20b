"""Finding 7: no log line carries a token or a query string's secret.

Before: a token with the wrong number of segments was logged whole in "rejected ID token" (a
live token with `.x` appended became replayable from the log), and the access log recorded
`?access_token=…`. After: every log record of the process (all loggers, the dev server's
request lines, gunicorn's access log) is searched after such requests and holds neither.
"""

from __future__ import annotations

import http.client
import logging
import subprocess
import threading
import time

import pytest
from werkzeug.serving import make_server

from api.redaction import redact
from tests.hardening.test_fail_safe_config import ROOT, VENV_BIN, _clean_env, _free_port
from workers.embedded import BannerlessRequestHandler

QUERY_SECRET = "qs3cr3tV4lu3Xk9m2ZpLw"


def _leaks(text: str, token: str) -> list[str]:
    """The pieces of token (beyond its first characters) or the query secret found in text."""
    pieces = [QUERY_SECRET] + [token[i : i + 12] for i in range(6, len(token) - 12, 6)]
    return [p for p in pieces if p in text]


def test_redact_cuts_tokens_and_secret_parameters():
    line = (
        "rejected ID token: Wrong number of segments in token: b'eyJhbGciOiJSUzI1NiJ9"
        ".eyJ1aWQiOiJhbGV4In0.c2lnbmF0dXJlMTIzNDU2.x' "
        f'"GET /v1/me?access_token={QUERY_SECRET}&limit=5 HTTP/1.1" Authorization: Bearer abc'
    )
    clean = redact(line)
    assert "eyJ1aWQiOiJhbGV4In0" not in clean and QUERY_SECRET not in clean
    assert "Bearer abc" not in clean
    assert "/v1/me?access_token=[redacted]&limit=5" in clean
    # What people search logs for stays readable.
    assert redact("request 5e1f6a0c-8a1b-4c2d-9e3f-0123456789ab notification_preferences") == (
        "request 5e1f6a0c-8a1b-4c2d-9e3f-0123456789ab notification_preferences"
    )


def test_any_logger_is_redacted_whatever_its_handler(caplog):
    caplog.set_level(logging.DEBUG)
    token = "eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiJzYW0ifQ.c2lnbmF0dXJlOTk5OTk5.x"
    logging.getLogger("some.library").warning("failed for %s with %r", token, {"t": token})
    assert caplog.records and not _leaks(caplog.text, token)


@pytest.fixture
def firebase_server(firebase_app):
    served = make_server(
        "127.0.0.1", 0, firebase_app, threaded=True, request_handler=BannerlessRequestHandler
    )
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served.server_port
    served.shutdown()
    thread.join(5)


def test_rejected_and_replayable_tokens_never_reach_the_log(firebase_server, fake_google, caplog):
    caplog.set_level(logging.DEBUG)
    live = fake_google.mint_id_token("alex")
    tampered = live[:-4] + ("AAAA" if not live.endswith("AAAA") else "BBBB")
    for token in (live + ".x", tampered, live):
        conn = http.client.HTTPConnection("127.0.0.1", firebase_server, timeout=10)
        conn.request(
            "GET",
            f"/v1/me?access_token={QUERY_SECRET}&id_token={token}",
            headers={"Authorization": f"Bearer {token}"},
        )
        status = conn.getresponse().status
        conn.close()
        assert status in (200, 401)
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /v1/me" in messages  # the request lines were logged, without the secrets
    assert "rejected ID token" in messages
    for token in (live, tampered):
        assert not _leaks(messages, token), _leaks(messages, token)


def test_gunicorn_access_log_has_no_query_secret_nor_token(tmp_path):
    port = _free_port()
    env = _clean_env(APP_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}")
    log_file = tmp_path / "gunicorn.log"
    with log_file.open("w") as out:
        server = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--access-logfile",
                "-",
                "api:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        token = "eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiJndW4ifQ.c2lnbmF0dXJlNzc3Nzc3.x"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request(
                        "GET",
                        f"/healthz?access_token={QUERY_SECRET}&token={token}",
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Referer": f"https://x/?k={token}",
                        },
                    )
                    assert conn.getresponse().status == 200
                    conn.close()
                    break
                except OSError:
                    time.sleep(0.2)
            time.sleep(0.5)  # let the worker flush its access line
        finally:
            server.terminate()
            server.wait(10)
    text = log_file.read_text()
    assert "GET /healthz" in text, text
    assert not _leaks(text, token), text
