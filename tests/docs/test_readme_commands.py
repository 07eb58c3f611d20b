"""The README's `hearth` commands, run as written (in-process, through the `hearth` group)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from workers.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command.startswith("hearth "):
                commands.append(command)
    return commands


def test_the_readme_shows_the_admin_commands():
    commands = _readme_commands()
    assert "hearth db upgrade" in commands
    for verb in ("validate", "import", "export"):
        assert any(c.startswith(f"hearth content {verb} ") for c in commands), verb


def test_readme_commands_work_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # as the README runs them: from the clone root
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'readme.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()
    ran = []
    for command in _readme_commands():
        args = shlex.split(command)[1:]
        if args[0] in ("run", "serve"):
            continue  # they serve until stopped; tests/foundation/test_hearth_command.py runs them
        if args[:2] == ["content", "export"]:
            args[2] = str(tmp_path / "export")  # a fresh folder: export refuses a full one
        if args[:2] == ["openapi", "write"]:
            args[2] = str(tmp_path / "openapi.json")
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, (command, result.output)
        ran.append(command)
    assert len(ran) >= 6, ran
    assert (tmp_path / "export" / "ritual_templates.yaml").exists()
    assert (tmp_path / "openapi.json").read_text() == (ROOT / "openapi/openapi.json").read_text()


@pytest.mark.parametrize("name", ["README.md", "docs/guide.md", "docs/push.md"])
def test_links_stay_inside_the_repository(name):
    page = ROOT / name
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if target.startswith(("http://", "https://")):
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), (name, target)
        assert resolved.exists(), (name, target)
