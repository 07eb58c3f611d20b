"""Log lines: JSON per line, request and job context, one line per request, routine at DEBUG."""

from __future__ import annotations

import logging
import re
import uuid

from api.observability.logs import make_formatter
from tests.conftest import auth
from tests.factories import DeviceFactory, UserFactory


def test_request_line_has_request_id_user_method_path_status_duration(client, log_lines):
    me = client.get("/v1/me", headers=auth("alex")).get_json()
    response = client.get(
        "/v1/me?token=s3cret-in-query", headers={**auth("alex"), "X-Request-ID": "req-abc.1"}
    )

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-abc.1"
    [line] = [p for p in log_lines("hearth.access") if p.get("request_id") == "req-abc.1"]
    assert line["level"] == "INFO"
    assert line["user_id"] == me["id"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/me", 200)
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    # The query string can carry secrets: no line has it, nor the bearer token.
    assert "s3cret-in-query" not in log_lines.raw()
    assert "dev:alex" not in log_lines.raw()


def test_request_id_is_generated_when_missing_or_unusable(client, log_lines):
    plain = client.get("/healthz")
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" , "level": "ERROR'})

    for response in (plain, forged):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert plain.headers["X-Request-ID"] != forged.headers["X-Request-ID"]
    logged = {p["request_id"] for p in log_lines("hearth.access")}
    assert {plain.headers["X-Request-ID"], forged.headers["X-Request-ID"]} <= logged


def test_lines_inside_a_request_carry_its_request_id(client, log_lines):
    client.get("/v1/me", headers={**auth("sam"), "X-Request-ID": "req-ctx"})
    logging.getLogger("hearth.test").info("outside any request")

    [outside] = log_lines("hearth.test")
    assert "request_id" not in outside
    assert all(p["request_id"] == "req-ctx" for p in log_lines("hearth.access"))


def test_a_500_is_one_line_with_request_context_and_traceback(make_app, log_lines):
    app = make_app()

    @app.get("/v1/boom")
    def boom() -> str:
        raise RuntimeError("kaboom: internal detail")

    response = app.test_client().get("/v1/boom", headers={**auth("pat"), "X-Request-ID": "r500"})

    assert response.status_code == 500
    assert b"kaboom" not in response.data and b"Traceback" not in response.data
    lines = [p for p in log_lines() if p.get("request_id") == "r500"]
    assert len(lines) == 1
    [line] = lines
    assert line["level"] == "ERROR" and line["logger"] == "hearth.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/boom", 500)
    assert isinstance(line["user_id"], int)
    assert "Traceback" in line["exc_info"] and "RuntimeError: kaboom" in line["exc_info"]


def test_job_lines_carry_the_job_id_and_push_lines_name_notification_and_recipient(
    client, app, run_jobs, log_lines
):
    inviter = UserFactory(uid="inv")
    DeviceFactory(user=inviter)
    code = client.post("/v1/invites", headers=auth("inv")).get_json()["code"]
    client.patch("/v1/me", headers=auth("joiner"), json={"display_name": "Private Name"})
    assert client.post("/v1/couple", headers=auth("joiner"), json={"code": code}).status_code == 201
    [job_id] = app.extensions["hearth_queue"].queue.job_ids

    assert run_jobs() == 1

    [push] = log_lines("workers.push")
    assert push["job_id"] == job_id and push["job"] == "workers.delivery.deliver"
    feed = client.get("/v1/notifications", headers=auth("inv")).get_json()["items"]
    assert push["notification_id"] == feed[0]["id"]
    assert push["recipient_id"] == inviter.id
    # The push's words (here: the partner's name) never reach a log line.
    assert feed[0]["body"] not in log_lines.raw() and "Private Name" not in log_lines.raw()
    assert all(p["job_id"] == job_id for p in log_lines("workers.delivery"))


def test_text_format_has_context_and_no_colour_codes():
    record = logging.LogRecord("hearth.access", logging.INFO, __file__, 1, "GET /x 200", (), None)
    record.request_id, record.status = "abc", 200
    line = make_formatter("text").format(record)

    assert "\x1b" not in line
    expected = r"\S+ \S+ INFO hearth.access \[request_id=abc status=200\]: GET /x 200"
    assert re.fullmatch(expected, line)


def test_the_clocks_and_workers_routine_lines_are_debug(app, log_lines):
    # The loggers as create_app configured them (RQ's own loggers, RQ's own formats).
    cron, worker = logging.getLogger("rq.cron"), logging.getLogger("rq.worker")
    root = logging.getLogger()
    cron.info("Enqueued job %s to queue %s", "reminder_tick", "hearth")
    worker.info("Successfully completed %s job in %ss on worker %s", "tick()", 0.1, "w1")
    worker.info("Worker %s: %s: %s (%s)", "w1", "hearth", "Job OK", "job-1")
    cron.info("CronScheduler %s: starting...", "c1")
    worker.warning("Worker %s: job %s failed", "w1", "job-2")

    assert [p["message"] for p in log_lines()] == [
        "CronScheduler c1: starting...",
        "Worker w1: job job-2 failed",
    ]
    root.setLevel(logging.DEBUG)
    cron.info("Enqueued job %s to queue %s", "sweep_pending", "hearth")
    [line] = [p for p in log_lines("rq.cron") if "Enqueued" in str(p["message"])]
    assert line["level"] == "DEBUG"


def test_colour_codes_are_stripped_when_not_writing_to_a_terminal(app):
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "hearth"]
    assert not handler.stream.isatty()  # pytest's capture, like a file or a pipe
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        "\x1b[31m\x1b[1mWARNING: This is a development server.\x1b[0m %s",
        ("\x1b[33mPress CTRL+C to quit\x1b[0m",),
        None,
    )
    assert all(f.filter(record) for f in handler.filters)

    line = handler.format(record)
    assert "\x1b" not in line
    assert line.endswith("WARNING: This is a development server. Press CTRL+C to quit")


def test_the_dev_server_logs_each_request_once(app, log_lines):
    """`make run` serves with werkzeug, which logs its own request line beside the app's
    hearth.access line: the filter meant to drop it matched a format with a trailing newline
    that werkzeug strips, so every request was logged twice (a fresh-clone trial saw it)."""
    import http.client
    import threading

    from werkzeug.serving import make_server

    from workers.embedded import BannerlessRequestHandler

    served = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=BannerlessRequestHandler
    )
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", served.server_port, timeout=10)
        conn.request("GET", "/v1/me")
        assert conn.getresponse().status == 401
        conn.close()
    finally:
        served.shutdown()
        thread.join(5)
    assert [line["message"] for line in log_lines("werkzeug")] == []
    assert len(log_lines("hearth.access")) == 1


def test_routine_lines_stay_debug_and_worker_names_whole_when_an_argument_is_redacted(
    app, log_lines
):
    """Redaction cleans the arguments and keeps the format string, which the routine-line
    filter matches; rq's worker names (32 hex digits) are identifiers, not tokens."""
    worker = logging.getLogger("rq.worker")
    name = uuid.uuid4().hex
    token = "fcmTokenAbc123" + "x9" * 20
    worker.info("Worker %s: %s: %s (%s)", name, "hearth", "Job OK", token)
    worker.warning("Worker %s: job %s failed with %s", name, "job-2", token)

    [line] = log_lines("rq.worker")
    assert line["message"].startswith(f"Worker {name}: job job-2 failed with fcmT")
    assert token not in line["message"]
    # Only a random UUID's 32 hex digits pass: another hex secret of that length is cut.
    secret = "0123456789abcdef" * 2
    worker.warning("key %s", secret)
    assert secret not in log_lines("rq.worker")[-1]["message"]
