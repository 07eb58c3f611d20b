"""`flask content validate|import|export`, driven as an operator would run them."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.affirmations.models import Affirmation, AffirmationText
from api.content.loader import load
from api.extensions import db
from api.rituals.models import RitualTemplate
from tests.conftest import auth
from tests.factories import CoupleFactory

CONTENT = Path(__file__).resolve().parents[2] / "content"
LATTE = (
    "  - slug: love-you-a-latte\n"
    "    category: playful\n"
    "    text: I love you a latte. I'm not sorry.\n"
)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["content", *args])

    return run


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the shipped content directory."""
    return Path(shutil.copytree(CONTENT, tmp_path / "content"))


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_validate_reports_what_the_files_hold(cli):
    result = cli("validate", str(CONTENT))
    assert result.exit_code == 0, result.output
    en = len(load(CONTENT / "affirmations/en.yaml").affirmations)
    es = len(load(CONTENT / "affirmations/es.yaml").affirmations)
    questions = len(load(CONTENT / "questions").questions)
    assert result.stdout == (
        f"valid: {en + es} affirmations (en, es), 7 ritual templates, in 16 file(s)\n"
        f"valid: {len(load(CONTENT / 'needs').needs)} needs (de, en, es, fr, it, pt)\n"
        f"valid: {questions} questions (en, es)\n"
    )
    assert rows(Affirmation) == 0


def test_import_twice_changes_nothing_the_second_time(cli):
    content = load(CONTENT)
    first = cli("import", str(CONTENT))
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        f"affirmations: {len(content.affirmations)} created, 0 updated, 0 retired\n"
        f"ritual templates: {len(content.templates)} created, 0 updated, 0 retired\n"
        f"needs: {len(content.needs)} created, 0 updated, 0 retired\n"
        f"questions: {len(content.questions)} created, 0 updated, 0 retired\n"
    )
    second = cli("import", str(CONTENT))
    assert second.exit_code == 0
    assert second.stdout == (
        "affirmations: 0 created, 0 updated, 0 retired\n"
        "ritual templates: 0 created, 0 updated, 0 retired\n"
        "needs: 0 created, 0 updated, 0 retired\n"
        "questions: 0 created, 0 updated, 0 retired\n"
    )
    assert rows(AffirmationText) == len(content.affirmations)
    kiss = db.session.scalars(
        select(RitualTemplate).where(RitualTemplate.key == "six-second-kiss")
    ).one()
    assert kiss.schedule_days == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert kiss.schedule_time.strftime("%H:%M") == "18:30"


def test_dry_run_reports_and_writes_nothing(cli, content_copy):
    result = cli("import", str(CONTENT), "--dry-run")
    assert result.exit_code == 0
    assert "created" in result.stdout and result.stdout.endswith("dry run: nothing was written\n")
    assert rows(Affirmation) == 0 and rows(RitualTemplate) == 0

    cli("import", str(CONTENT))
    edit(
        content_copy / "affirmations/en.yaml",
        "text: You're my favourite notification.",
        "text: You are my favourite notification.",
    )
    dry = cli("import", str(content_copy), "--dry-run")
    assert dry.stdout.startswith("affirmations: 0 created, 1 updated, 0 retired\n")
    text = db.session.scalar(
        select(AffirmationText.text)
        .join(Affirmation)
        .where(Affirmation.slug == "favourite-notification", AffirmationText.locale == "en")
    )
    assert text == "You're my favourite notification."


def test_removed_item_is_retired_and_messages_that_used_it_stay_readable(cli, client, content_copy):
    cli("import", str(CONTENT))
    couple = CoupleFactory()
    sender, recipient = couple.user_a_id, couple.user_b_id
    from api.users.models import User

    sender_uid = db.session.get(User, sender).uid
    recipient_uid = db.session.get(User, recipient).uid
    latte = db.session.scalars(
        select(Affirmation).where(Affirmation.slug == "love-you-a-latte")
    ).one()
    sent = client.post(
        "/v1/couple/affirmations",
        json={"affirmation_id": latte.id, "client_id": str(uuid.uuid4())},
        headers=auth(sender_uid),
    )
    assert sent.status_code == 201

    edit(
        content_copy / "affirmations/en.yaml",
        LATTE,
        "",
    )
    result = cli("import", str(content_copy))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "affirmations: 0 created, 0 updated, 1 retired"
    assert cli("import", str(content_copy)).stdout.splitlines()[0] == (
        "affirmations: 0 created, 0 updated, 0 retired"
    )

    library = client.get("/v1/affirmations?limit=100", headers=auth(recipient_uid)).json
    slugs = {a["slug"] for a in library["items"]}
    library = client.get(
        f"/v1/affirmations?limit=100&cursor={library['next_cursor']}", headers=auth(recipient_uid)
    ).json
    slugs |= {a["slug"] for a in library["items"]}
    assert "love-you-a-latte" not in slugs and "race-you-home" in slugs

    inbox = client.get("/v1/couple/affirmations?box=received", headers=auth(recipient_uid)).json
    (message,) = inbox["items"]
    assert message["text"] == "I love you a latte. I'm not sorry."
    assert message["affirmation"]["slug"] == "love-you-a-latte"

    # Putting it back returns it to the library: one update, no duplicate row.
    result = cli("import", str(CONTENT))
    assert result.stdout.splitlines()[0] == "affirmations: 0 created, 1 updated, 0 retired"
    assert rows(AffirmationText) == len(load(CONTENT).affirmations)


def test_a_file_set_covers_only_its_own_locales_and_kinds(cli):
    cli("import", str(CONTENT))
    result = cli("import", str(CONTENT / "affirmations/es.yaml"))
    assert result.exit_code == 0
    # Neither the English library nor the templates are retired by importing es.yaml alone.
    assert result.stdout == "affirmations: 0 created, 0 updated, 0 retired\n"
    assert db.session.scalar(select(func.count()).where(Affirmation.retired_at.is_not(None))) == 0


def test_invalid_file_is_rejected_whole_naming_file_item_and_field(cli, content_copy):
    cli("import", str(CONTENT))
    en = content_copy / "affirmations/en.yaml"
    edit(
        en,
        "category: playful\n    text: I love you a latte.",
        "category: silly\n    text: I love you a latte.",
    )
    # A valid change elsewhere in the same set must not be written either.
    edit(en, "text: You're my favourite notification.", "text: Changed.")

    for command in ("validate", "import"):
        result = cli(command, str(content_copy))
        assert result.exit_code == 1
        assert (
            f"{en}: item 'love-you-a-latte': category: must be one of appreciation, "
            "encouragement, love, gratitude, support, playful"
        ) in result.stderr
        assert result.stdout == ""
    assert db.session.scalar(select(func.count()).where(AffirmationText.text == "Changed.")) == 0


def test_missing_path_is_an_error(cli, tmp_path):
    result = cli("import", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_export_writes_files_that_reimport_as_no_change(cli, tmp_path, content_copy):
    edit(
        content_copy / "affirmations/en.yaml",
        LATTE,
        "",
    )
    cli("import", str(CONTENT))
    cli("import", str(content_copy))  # one retired row, which the export leaves out
    out = tmp_path / "export"
    result = cli("export", str(out))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"wrote {out / 'affirmations/en.yaml'}",
        f"wrote {out / 'affirmations/es.yaml'}",
        f"wrote {out / 'ritual_templates.yaml'}",
        *(
            f"wrote {out / f'ritual_templates/{lang}.yaml'}"
            for lang in ("de", "es", "fr", "it", "pt")
        ),
        *(f"wrote {out / f'needs/{lang}.yaml'}" for lang in ("de", "en", "es", "fr", "it", "pt")),
        f"wrote {out / 'questions/en.yaml'}",
        f"wrote {out / 'questions/es.yaml'}",
    ]
    assert cli("validate", str(out)).exit_code == 0
    again = cli("import", str(out))
    assert again.stdout == (
        "affirmations: 0 created, 0 updated, 0 retired\n"
        "ritual templates: 0 created, 0 updated, 0 retired\n"
        "needs: 0 created, 0 updated, 0 retired\n"
        "questions: 0 created, 0 updated, 0 retired\n"
    )
    exported, source = load(out), load(content_copy)
    assert sorted(exported.affirmations, key=repr) == sorted(source.affirmations, key=repr)
    assert exported.templates == source.templates
    assert sorted(exported.needs, key=repr) == sorted(source.needs, key=repr)
    assert exported.questions == source.questions
    assert exported.template_texts == source.template_texts


def test_needs_files_are_checked_whole(cli, content_copy):
    """A wish without {name}, an es slug with no en original, a required need gone: exit 1."""
    en, es = content_copy / "needs/en.yaml", content_copy / "needs/es.yaml"
    en.write_text(
        en.read_text()
        .replace('"{name} would love to feel heard today"', "Heard today")
        .replace("  - slug: space\n", "  - slug: room\n"),
        encoding="utf-8",
    )
    es.write_text(es.read_text() + "  - slug: cuddles\n    label: Mimos\n", encoding="utf-8")
    result = cli("validate", str(content_copy))
    assert result.exit_code == 1
    assert "item 'heard': wish: must contain {name} exactly once" in result.stderr
    assert "needs: the need 'space' is required" in result.stderr
    assert "item 'cuddles': wish: required" in result.stderr
    assert "item 'space': slug: no 'en' need has this slug" in result.stderr
