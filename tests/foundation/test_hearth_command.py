"""The `hearth` console script, run as an operator would: from another folder, as a process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from workers.embedded import banner

ROOT = Path(__file__).resolve().parents[2]
HEARTH = Path(sys.executable).with_name("hearth")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PORT")}
    env.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp_path / 'hearth.sqlite3'}",
        **extra,
    )
    return env


def _hearth(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HEARTH), *args],
        cwd=tmp_path,  # not the clone: the command must not depend on the working directory
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the clone, with a database `hearth db upgrade` migrated."""
    folder = tmp_path_factory.mktemp("elsewhere")
    upgraded = _hearth(folder, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Running upgrade" in upgraded.stderr
    return folder


def test_hearth_runs_the_admin_commands_from_any_folder(home):
    tmp_path = home
    validated = _hearth(tmp_path, "content", "validate", str(ROOT / "content"))
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith("valid: ")
    imported = _hearth(tmp_path, "content", "import", str(ROOT / "content"))
    assert imported.returncode == 0, imported.stderr
    assert re.match(r"affirmations: \d+ created, 0 updated, 0 retired", imported.stdout)


def test_serve_prints_its_banner_only_once_the_port_answers(home):
    tmp_path = home
    process = subprocess.Popen(
        [str(HEARTH), "serve", "--port", "0"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = ""
        for line in process.stdout:
            if line.startswith("Hearth on "):
                break
        port = int(re.search(r":(\d+) ", line).group(1))  # type: ignore[union-attr]
        assert port != 8000  # --port 0 is a free port, never the default one
        # No retry, no sleep: the banner promises the port is already listening.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_on_a_taken_port_fails_without_a_banner(home):
    tmp_path = home
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _hearth(tmp_path, "serve", "--port", str(port))
    assert result.returncode != 0
    assert "Hearth on" not in result.stdout


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_the_banner_says_how_to_reach_the_server(host, monkeypatch):
    monkeypatch.setattr("workers.embedded.lan_address", lambda: "192.168.1.20")
    lines = banner(host, 8000)
    assert lines[0] == "Hearth on http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)"
    if host == "0.0.0.0":
        assert "http://192.168.1.20:8000" in lines[1]
    else:
        assert len(lines) == 1


def test_make_run_passes_host_and_port():
    dry = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0", "PORT=9001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "serve --host 0.0.0.0 --port 9001" in dry.stdout
