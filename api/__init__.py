"""Hearth: the backend of a couples' rituals app."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, request
from sqlalchemy import event

from api.config import Config
from api.errors import DomainError

if TYPE_CHECKING:
    from api.errors import ProblemApi


def create_app(config: Config | None = None) -> Flask:
    """The app factory: config validated, extensions bound, blueprints registered."""
    config = config or Config.from_env()
    config.validate()
    logging.basicConfig(
        level=config.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic announces each of its plugins at INFO on every `flask` command: noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    app = Flask(__name__, instance_path=str(_instance_path()))
    app.config.update(config.flask_settings())
    app.config["API_SPEC_OPTIONS"] = {
        "info": {"description": "The contract with the Hearth mobile apps (see shared/API.md)."},
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A Firebase ID token; in dev and tests `dev:<uid>`.",
                }
            }
        },
    }
    app.extensions["hearth_config"] = config

    from api import errors, models  # noqa: F401  (models: the whole schema, for Alembic)
    from api.extensions import db, limiter, migrate
    from api.fields import WallTime
    from api.ids import RowIdConverter
    from api.queue import JobQueue

    # Before any blueprint: every `<int:...>` of every route is a bounded row id.
    app.url_map.converters["int"] = RowIdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"), render_as_batch=True)
    api = errors.ProblemApi(app)
    api.register_field(WallTime, "string", None)
    limiter.init_app(app)
    errors.register(app)
    app.extensions["hearth_queue"] = JobQueue(config)

    with app.app_context():
        if config.is_sqlite:
            _sqlite_pragmas(db.engine)
        else:
            from api.pool import ping_idle_connections

            ping_idle_connections(db.engine)

    _register_blueprints(app, api)

    @app.teardown_request
    def _end_request_session(exc: BaseException | None) -> None:
        db.session.remove()

    return app


def _register_blueprints(app: Flask, api: ProblemApi) -> None:
    from api import health
    from api.affirmations.routes import gratitude, library, messages
    from api.auth import authenticate
    from api.content.cli import content_cli
    from api.devices.routes import blp as devices
    from api.notifications.routes import blp as notifications
    from api.pairing.routes import couple, invites
    from api.rituals.routes import blp as rituals
    from api.rituals.routes import templates_blp as ritual_templates
    from api.streaks.routes import blp as streaks
    from api.users.routes import blp as me

    app.register_blueprint(health.blp)
    app.cli.add_command(content_cli)
    for blueprint in (
        me,
        devices,
        notifications,
        ritual_templates,
        rituals,
        library,
        messages,
        gratitude,
        streaks,
        invites,
        couple,
    ):
        api.register_blueprint(blueprint)

    @app.before_request
    def _guard() -> None:
        if request.path.startswith("/v1"):
            _require_json_body()
            authenticate()


def _require_json_body() -> None:
    """415 for a body that is not JSON, 400 for one that does not parse, 422 for unstorable text.

    Checked once here, before any schema sees the body, so no route can forget it.
    """
    from werkzeug.exceptions import BadRequest, UnsupportedMediaType

    from api.errors import Invalid

    if request.routing_exception is not None:
        return  # no such route or method: the 404/405 comes first, whatever the body
    has_body = request.method in ("POST", "PUT", "PATCH") and request.content_length
    if not has_body:
        return
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        body = request.get_json()
    except (BadRequest, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser goes (a 64 KiB body of "[[[[...").
        raise BadRequest("The request body is not valid JSON.") from exc
    field = _unstorable_text_at(body)
    if field is not None:
        # PostgreSQL stores no NUL character, and no database a lone surrogate (not UTF-8).
        raise Invalid(field, "Text may not contain NUL characters or unpaired surrogates.")
    if body not in (None, {}) and not _takes_json_body():
        # An endpoint without a body schema would silently ignore these: unknown fields, 422.
        fields = list(body) if isinstance(body, dict) else ["_body"]
        raise BodyNotTaken(errors={name: ["Unknown field."] for name in fields})


def _takes_json_body() -> bool:
    """Whether the matched view parses a JSON body (flask-smorest's @arguments on it)."""
    from flask import current_app

    view = current_app.view_functions[request.endpoint]  # type: ignore[index]
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class else view
    arguments = getattr(handler, "_apidoc", {}).get("arguments", {})
    return any(p.get("in") == "json" for p in arguments.get("parameters", []))


class BodyNotTaken(DomainError):
    status = 422
    title = "Validation failed"

    def __init__(self, *, errors: dict[str, list[str]]) -> None:
        super().__init__("This endpoint takes no request body; see errors.", errors=errors)


def _unstorable_text_at(body: object) -> str | None:
    """The dotted path of the first key or string no database can store, if any."""
    stack: list[tuple[str, object]] = [("", body)]
    while stack:  # a loop, not recursion: the body may nest as deep as the parser allowed
        path, value = stack.pop()
        if isinstance(value, str) and not _storable(value):
            return path or "_body"
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if not _storable(key):
                    return path or "_body"
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return None


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sqlite_pragmas(engine: object) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless told, per connection.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _root():  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _instance_path():  # type: ignore[no-untyped-def]
    from api.config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(exist_ok=True)
    return INSTANCE_DIR
