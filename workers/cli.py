"""`hearth`: the admin and serving commands, from any folder once Hearth is installed.

The same commands as `flask --app api ...` (`hearth content import DIR`, `hearth db upgrade`,
`hearth openapi write FILE`, `hearth serve`), without the `--app` option or a particular
working directory; `hearth run` is what `make run` does: migrate, load content, serve.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from api import create_app
from api.content.cli import import_command
from workers.embedded import serve_command

# The clone's content library, when Hearth runs from (or is installed editable from) a clone.
BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content"


@click.command("run")
@click.option("--host", default=None, help="The address to bind: $HOST, else 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Defaults to $PORT, else 8000.")
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The content folder to import first (default: the clone's content/, if any).",
)
@with_appcontext
def run_command(host: str | None, port: int | None, content_dir: str | None) -> None:
    """Migrate the database, import the content library, then serve (as `make run` does)."""
    ctx = click.get_current_context()
    upgrade()
    folder = content_dir or (str(BUNDLED_CONTENT) if BUNDLED_CONTENT.is_dir() else None)
    if folder is not None:
        ctx.invoke(import_command, path=folder, dry_run=False)
    else:
        current_app.logger.warning("no content folder: the library stays as it is")
    ctx.invoke(serve_command, host=host, port=port)


cli = FlaskGroup(
    name="hearth",
    create_app=lambda: create_app(),
    help="Hearth's admin commands: content, db, openapi, run, serve.",
    # Configuration comes from the environment only: no stray .env file fills in a variable
    # a production host left unset (python-dotenv is installed for `flask`'s .flaskenv).
    load_dotenv=False,
)
cli.add_command(run_command)


def main() -> None:
    """The `hearth` console script."""
    cli.main()
