"""The Procfile's `release` line, run as a platform runs it, on a fresh then a lived-in database.

A fresh deploy must serve the daily question, the needs, the affirmations and the ritual
templates without anyone importing them by hand; a later deploy must not undo what an operator
imported since (an edited text, a retired item). The line runs in a shell from the code root,
against a scratch SQLite file (APP_ENV=development: production refuses SQLite, and nothing
here depends on the database's kind).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("affirmations", "ritual_templates", "needs", "questions")


def _release_line() -> str:
    lines = (ROOT / "Procfile").read_text().strip().splitlines()
    return dict(line.split(": ", 1) for line in lines)["release"]


def _run(command: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "PYTEST", "SENTRY_", "STORAGE_"))
    }
    env.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{database}",
        LOG_FORMAT="text",
        # The platform's PATH holds the installed `hearth` command, as the venv's bin does here.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return subprocess.run(
        ["sh", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _counts(database: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}
    finally:
        engine.dispose()


def _question_text(database: Path, slug: str) -> tuple[str, object]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT text, retired_at FROM questions WHERE slug = :s AND locale = 'en'"),
                {"s": slug},
            ).one()
            return row[0], row[1]
    finally:
        engine.dispose()


def test_the_release_step_loads_the_library_once_and_keeps_the_operators_edits(tmp_path):
    database = tmp_path / "hearth.sqlite3"
    release = _release_line()

    first = _run(release, database)
    assert first.returncode == 0, first.stderr
    loaded = _counts(database)
    assert all(loaded[t] > 0 for t in TABLES), loaded

    # The operator edits one question and drops another, by importing their own folder.
    mine = tmp_path / "content"
    path = mine / "questions" / "en.yaml"
    path.parent.mkdir(parents=True)
    shutil.copy(ROOT / "content" / "questions" / "en.yaml", path)
    library = yaml.safe_load(path.read_text())
    edited, dropped = library["questions"][0], library["questions"].pop(1)
    edited["text"] = "What did you notice first about me, really?"
    path.write_text(yaml.safe_dump(library, allow_unicode=True, sort_keys=False))
    own = _run(f"hearth content import {mine}", database)
    assert own.returncode == 0, own.stderr

    # The next deploy runs the same line: it succeeds, says what it kept, and changes nothing.
    again = _run(release, database)
    assert again.returncode == 0, again.stderr
    assert "questions: left as they are" in again.stdout
    assert _counts(database) == loaded
    assert _question_text(database, edited["slug"]) == (edited["text"], None)
    assert _question_text(database, dropped["slug"])[1] is not None  # still retired
