"""What the content commands say: validate never talks of importing, import names the slugs,
and export never overwrites a folder that holds something."""

from __future__ import annotations

from sqlalchemy import func, select

from api.affirmations.models import Affirmation
from api.extensions import db
from tests.content.test_content_cli import CONTENT, LATTE, cli, content_copy, edit  # noqa: F401


def test_validate_of_an_invalid_set_does_not_speak_of_importing(cli, content_copy):  # noqa: F811
    edit(
        content_copy / "affirmations/en.yaml",
        "category: playful\n    text: I love",
        "x: 1\n    text: I love",
    )
    validated = cli("validate", str(content_copy))
    assert validated.exit_code == 1
    assert validated.stderr.startswith("invalid content (")
    assert "import" not in validated.stderr.splitlines()[0]
    imported = cli("import", str(content_copy))
    assert imported.exit_code == 1
    assert imported.stderr.startswith("invalid content, nothing was imported (")


def test_dry_run_names_each_slug_after_the_counts(cli, content_copy):  # noqa: F811
    cli("import", str(CONTENT))
    en = content_copy / "affirmations/en.yaml"
    edit(en, LATTE, "")  # retired
    edit(en, "text: You're my favourite notification.", "text: Changed.")  # updated
    with en.open("a", encoding="utf-8") as handle:  # created
        handle.write("  - slug: brand-new\n    category: love\n    text: Brand new words.\n")

    dry = cli("import", str(content_copy), "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert lines[0] == "affirmations: 1 created, 1 updated, 1 retired"
    assert lines[1] == "ritual templates: 0 created, 0 updated, 0 retired"
    assert lines[2] == "needs: 0 created, 0 updated, 0 retired"
    assert lines[3] == "questions: 0 created, 0 updated, 0 retired"
    details = lines[4:-1]
    assert "created  affirmation  brand-new (en)" in details
    assert "retired  affirmation  love-you-a-latte (en)" in details
    assert len([d for d in details if d.startswith("updated  affirmation  ")]) == 1
    assert len(details) == 3
    assert lines[-1] == "dry run: nothing was written"
    assert db.session.scalar(select(func.count()).where(Affirmation.slug == "brand-new")) == 0

    plain = cli("import", str(content_copy))
    assert plain.stdout.splitlines() == lines[:4]
    again = cli("import", str(content_copy), "--verbose")
    assert again.stdout.splitlines() == [
        "affirmations: 0 created, 0 updated, 0 retired",
        "ritual templates: 0 created, 0 updated, 0 retired",
        "needs: 0 created, 0 updated, 0 retired",
        "questions: 0 created, 0 updated, 0 retired",
    ]


def test_verbose_import_names_what_it_wrote(cli, content_copy):  # noqa: F811
    result = cli("import", str(CONTENT), "--verbose")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("affirmations: ") and lines[1].startswith("ritual templates: ")
    assert "created  ritual template  six-second-kiss" in lines
    assert "created  affirmation  love-you-a-latte (en)" in lines


def test_export_refuses_a_folder_that_is_not_empty_without_force(cli, tmp_path):  # noqa: F811
    cli("import", str(CONTENT))
    target = tmp_path / "export"
    target.mkdir()
    notes = target / "notes.txt"
    notes.write_text("mine", encoding="utf-8")

    refused = cli("export", str(target))
    assert refused.exit_code == 1
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]

    forced = cli("export", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert (target / "ritual_templates.yaml").exists()
    assert notes.read_text(encoding="utf-8") == "mine"

    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("export", str(empty)).exit_code == 0
    assert cli("export", str(tmp_path / "new")).exit_code == 0
