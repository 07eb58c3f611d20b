"""Findings 1 and 10: a forgotten APP_ENV never opens every account; production refuses what
it cannot run safely, in one line with exit status 1; no credentials is 503, never a 500.

Before: APP_ENV unset under gunicorn meant dev auth, `Bearer dev:anyone` → 200; a refusal was a
41-line traceback; production without Google credentials answered 500 on every authenticated
call while /readyz said ready. After: 401 (firebase auth), one line + exit 1, /readyz 503 with
the reason and no start in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from api.config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PRODUCTION = {
    "APP_ENV": "production",
    "AUTH_MODE": "firebase",
    "PUSH_BACKEND": "firebase",
    "DATABASE_URL": "postgresql://h@db/hearth",
    "REDIS_URL": "redis://cache:6379/0",
    "STORAGE_BUCKET": "hearth-photos",
}


def test_unset_app_env_means_firebase_auth():
    assert Config.from_env({}).AUTH_MODE == "firebase"
    assert Config.from_env({"APP_ENV": "production", **PRODUCTION}).AUTH_MODE == "firebase"
    assert Config.from_env({"APP_ENV": "development"}).AUTH_MODE == "dev"
    assert Config.from_env({"APP_ENV": "test"}).AUTH_MODE == "dev"


@pytest.mark.parametrize("app_env", ["", "production", "staging"])
def test_dev_auth_needs_app_env_development_or_test(app_env):
    env = {**PRODUCTION, "APP_ENV": app_env, "AUTH_MODE": "dev"}
    with pytest.raises(ConfigError) as error:
        Config.from_env(env)
    assert "\n" not in str(error.value)


def test_production_refuses_rate_limits_off():
    with pytest.raises(ConfigError, match="RATELIMIT_ENABLED=false"):
        Config.from_env({**PRODUCTION, "RATELIMIT_ENABLED": "false"})
    assert Config.from_env({**PRODUCTION, "RATELIMIT_ENABLED": "true"}).RATELIMIT_ENABLED


def _clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without any Hearth setting, plus extra."""
    env = {k: v for k, v in os.environ.items() if k not in Config.__dataclass_fields__}
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("command", "extra", "reason"),
    [
        (
            ["gunicorn", "--bind", "127.0.0.1:0", "api:create_app()"],
            {"RATELIMIT_ENABLED": "false"},
            "RATELIMIT_ENABLED",
        ),
        (["flask", "--app", "api", "routes"], {"AUTH_MODE": "dev"}, "AUTH_MODE=dev"),
        (
            ["gunicorn", "--bind", "127.0.0.1:0", "api:create_app()"],
            {"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/sa.json"},
            "credentials",
        ),
        *[
            (
                ["python", "-m", "workers.process", *kind],
                extra,
                reason,
            )
            for kind in (["worker", "--url", "redis://cache:6379/0", "hearth"], ["clock"])
            for extra, reason in (
                ({"RATELIMIT_ENABLED": "false"}, "RATELIMIT_ENABLED"),
                ({"FCM_TIMEOUT_SECONDS": "ten"}, "FCM_TIMEOUT_SECONDS"),
                # The production start checks the web runs: Google credentials that load.
                ({"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/sa.json"}, "credentials"),
            )
        ],
    ],
)
def test_a_refusal_is_one_line_and_exit_status_1(command, extra, reason):
    env = _clean_env(**{**PRODUCTION, **extra})
    done = subprocess.run(
        [str(VENV_BIN / command[0]), *command[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("hearth: refusing to start:") and reason in lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_under_gunicorn_without_app_env_a_dev_token_is_401(tmp_path):
    """The finding's own setup: the Procfile's web command, APP_ENV not set."""
    port = _free_port()
    env = _clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}",
        GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "missing.json"),
    )
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "api:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/me", headers={"Authorization": "Bearer dev:anyone"}
        )
        status, headers = None, None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status, headers = response.status, response.headers
            except urllib.error.HTTPError as error:
                status, headers = error.code, error.headers
            except OSError:
                time.sleep(0.2)
                continue
            break
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
    finally:
        server.terminate()
        server.wait(10)


def test_firebase_auth_without_loadable_credentials_is_503_not_500(make_app, tmp_path, client):
    app = make_app(
        AUTH_MODE="firebase", GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "missing.json")
    )
    jwt_shaped = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    response = app.test_client().get("/v1/me", headers={"Authorization": f"Bearer {jwt_shaped}"})
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0  # every 503 says when to try again
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert int(ready.headers["Retry-After"]) > 0
    body = ready.get_json()
    assert body["checks"]["credentials"] is False
    assert "credentials" in body["detail"]


def test_readyz_with_loadable_credentials_is_ready(firebase_app):
    ready = firebase_app.test_client().get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"]["credentials"] is True


def test_production_app_refuses_to_be_built_without_credentials(base_config, tmp_path):
    from dataclasses import replace

    from api import create_app

    config = replace(
        base_config,
        APP_ENV="production",
        AUTH_MODE="firebase",
        DATABASE_URL="postgresql+psycopg://h@db/hearth",
        REDIS_URL="redis://cache:6379/0",
        STORAGE_BUCKET="hearth-photos",
        GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "missing.json"),
    )
    with pytest.raises(ConfigError, match="credentials"):
        create_app(config)
