"""`flask content validate|import|export`: the admin scripts for the content files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from api.content.loader import ContentError, ContentSet, load
from api.content.service import (
    Counts,
    export_content,
    import_content,
    kinds_present,
    without_kinds,
)
from api.extensions import db

# The kinds of content, as the import names them.
KINDS = ("affirmations", "ritual templates", "needs", "questions")

content_cli = AppGroup("content", help="Validate, import and export the content files.")


def _load_or_exit(path: str, *, importing: bool) -> ContentSet:
    try:
        return load(path)
    except ContentError as exc:
        outcome = ", nothing was imported" if importing else ""
        click.echo(f"invalid content{outcome} ({len(exc.problems)} problem(s)):", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1) from None


def _summary(kind: str, counts: Counts) -> str:
    return f"{kind}: {counts.created} created, {counts.updated} updated, {counts.retired} retired"


def _details(kind: str, counts: Counts) -> list[str]:
    """One line per item an import changed: `created  affirmation  slug (locale)`."""
    return [f"{action}  {kind}  {name}" for action, name in counts.names]


@content_cli.command("validate")
@click.argument("path", type=click.Path())
def validate_command(path: str) -> None:
    """Check content files without touching the database (exit 1 when invalid)."""
    content = _load_or_exit(path, importing=False)
    click.echo(
        f"valid: {len(content.affirmations)} affirmations"
        f" ({', '.join(sorted(content.locales)) or 'no locales'}),"
        f" {len(content.templates)} ritual templates, in {len(content.files)} file(s)"
    )
    if content.need_locales:
        click.echo(f"valid: {len(content.needs)} needs ({', '.join(sorted(content.need_locales))})")
    if content.question_locales:
        click.echo(
            f"valid: {len(content.questions)} questions"
            f" ({', '.join(sorted(content.question_locales))})"
        )


@content_cli.command("import")
@click.argument("path", type=click.Path())
@click.option(
    "--dry-run", is_flag=True, help="Report what would change (each slug) and write nothing."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="After the counts, name each slug created, updated, retired.",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Import only the kinds of content the database has none of (the release step: a "
    "fresh database gets the library; one already imported is left as it is).",
)
def import_command(path: str, dry_run: bool, verbose: bool = False, if_empty: bool = False) -> None:
    """Upsert content files by slug; items missing from them are retired (exit 1 when invalid)."""
    content = _load_or_exit(path, importing=True)
    kept: list[str] = []
    if if_empty:
        # Whatever an operator imported since (edits, retirements, their own library) stays.
        present = kinds_present(db.session)
        kept = [kind for kind in KINDS if kind in present]
        content = without_kinds(content, present)
    report = import_content(db.session, content, dry_run=dry_run)
    kinds = []
    if content.locales or not if_empty:
        kinds.append(("affirmations", "affirmation", report.affirmations))
    if content.has_templates:
        kinds.append(("ritual templates", "ritual template", report.templates))
    if content.need_locales:
        kinds.append(("needs", "need", report.needs))
    if content.question_locales:
        kinds.append(("questions", "question", report.questions))
    # The counts first, one line per kind; then, when asked (a dry run always asks), the items.
    for plural, _singular, counts in kinds:
        click.echo(_summary(plural, counts))
    for kind in kept:
        click.echo(f"{kind}: left as they are (the database has them already; --if-empty)")
    if verbose or dry_run:
        for _plural, singular, counts in kinds:
            for line in _details(singular, counts):
                click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written")


@content_cli.command("export")
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Write into PATH even if it is not empty.")
def export_command(path: str, force: bool) -> None:
    """Write the live library and ritual templates as content files under PATH."""
    target = Path(path)
    if not force and target.is_dir() and any(target.iterdir()):
        # The files there may be someone's edits not yet imported: never overwrite silently.
        raise click.ClickException(
            f"{path} is not empty; export into an empty folder, or pass --force to overwrite"
        )
    for written in export_content(db.session, target):
        click.echo(f"wrote {written}")
