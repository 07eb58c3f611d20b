"""`flask content validate|import|export`: the admin scripts for the content files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from api.content.loader import ContentError, ContentSet, load
from api.content.service import Counts, export_content, import_content
from api.extensions import db

content_cli = AppGroup("content", help="Validate, import and export the content files.")


def _load_or_exit(path: str) -> ContentSet:
    try:
        return load(path)
    except ContentError as exc:
        click.echo(
            f"invalid content, nothing was imported ({len(exc.problems)} problem(s)):", err=True
        )
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1) from None


def _summary(kind: str, counts: Counts) -> str:
    return f"{kind}: {counts.created} created, {counts.updated} updated, {counts.retired} retired"


@content_cli.command("validate")
@click.argument("path", type=click.Path())
def validate_command(path: str) -> None:
    """Check content files without touching the database (exit 1 when invalid)."""
    content = _load_or_exit(path)
    click.echo(
        f"valid: {len(content.affirmations)} affirmations"
        f" ({', '.join(sorted(content.locales)) or 'no locales'}),"
        f" {len(content.templates)} ritual templates, in {len(content.files)} file(s)"
    )
    if content.question_locales:
        click.echo(
            f"valid: {len(content.questions)} questions"
            f" ({', '.join(sorted(content.question_locales))})"
        )


@content_cli.command("import")
@click.argument("path", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Report what would change and write nothing.")
def import_command(path: str, dry_run: bool) -> None:
    """Upsert content files by slug; items missing from them are retired (exit 1 when invalid)."""
    content = _load_or_exit(path)
    report = import_content(db.session, content, dry_run=dry_run)
    click.echo(_summary("affirmations", report.affirmations))
    if content.has_templates:
        click.echo(_summary("ritual templates", report.templates))
    if content.question_locales:
        click.echo(_summary("questions", report.questions))
    if dry_run:
        click.echo("dry run: nothing was written")


@content_cli.command("export")
@click.argument("path", type=click.Path(file_okay=False))
def export_command(path: str) -> None:
    """Write the live library and ritual templates as content files under PATH."""
    for written in export_content(db.session, Path(path)):
        click.echo(f"wrote {written}")
