"""Hearth: the backend of a couples' rituals app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, g, request
from sqlalchemy import event

from api import hardening, redaction
from api.app_class import HearthFlask
from api.config import Config
from api.errors import DomainError
from api.i18n import N_

if TYPE_CHECKING:
    from api.openapi import HearthApi


def create_app(config: Config | None = None) -> Flask:
    """The app factory: config validated, extensions bound, blueprints registered."""
    if config is None:
        # Started from the environment (gunicorn, flask, rq): a refusal is one line, exit 1.
        config = hardening.config_or_exit()
    else:
        config.validate()
        hardening.check_production_credentials(config)
    # Before the first log line: no token or query-string secret is ever written.
    redaction.install()
    from api.observability.logs import configure_logging
    from api.observability.sentry import init_sentry

    configure_logging(level=config.LOG_LEVEL, log_format=config.log_format, process_kind="web")
    init_sentry(dsn=config.SENTRY_DSN, environment=config.APP_ENV, process_kind="web")

    app = HearthFlask(__name__, instance_path=str(_instance_path()))
    app.config.update(config.flask_settings())
    app.config["API_SPEC_OPTIONS"] = {
        "info": {
            "description": "The contract with the Hearth mobile apps. The flows, with examples,"
            " and each push's data payload are in the repository's guide, docs/guide.md."
        },
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

    from api import errors, models, storage  # noqa: F401  (models: the schema, for Alembic)
    from api.extensions import db, limiter, migrate
    from api.fields import WallTime
    from api.ids import RowIdConverter
    from api.observability import web as observability
    from api.openapi import HearthApi
    from api.queue import JobQueue
    from api.responses import register_response_finisher

    # Before any blueprint: every `<int:...>` of every route is a bounded row id.
    app.url_map.converters["int"] = RowIdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"), render_as_batch=True)
    api = HearthApi(app)
    api.register_field(WallTime, "string", None)
    limiter.init_app(app)
    errors.register(app)
    hardening.install(app, config)
    app.extensions["hearth_queue"] = JobQueue(config)
    storage.init_app(app, config)
    # Before the blueprints' hooks: the request id exists before auth logs anything.
    observability.init_app(app)

    with app.app_context():
        if config.is_sqlite:
            _sqlite_pragmas(db.engine)
        else:
            from api.observability.logs import process_kind
            from api.pg_cursor import cache_long_statements, use_lazy_descriptions
            from api.pool import ping_idle_connections, plan_generically

            ping_idle_connections(db.engine)
            if process_kind() == "web":  # not a worker's or the clock's (api/pool.py)
                plan_generically(db.engine)
            use_lazy_descriptions(db.engine)
            cache_long_statements()

    _register_blueprints(app, api)
    from api import spec_precision

    spec_precision.apply(api)
    register_response_finisher(app)  # last: runs after every other after_request hook

    @app.before_request
    def _keep_objects_after_commit() -> None:
        # A request answers with what it wrote. Expired by its COMMIT, an object would be
        # read back for the response, and a row deleted meanwhile by another request (an
        # erasure, a sign-out, the partner's delete waiting on this request's lock) turned a
        # committed write into a 500. Jobs keep expiry: they re-read rows between batches.
        db.session().expire_on_commit = False

    @app.teardown_request
    def _end_request_session(exc: BaseException | None) -> None:
        db.session.remove()

    return app


def _register_blueprints(app: Flask, api: HearthApi) -> None:
    from api import health
    from api.affirmations.routes import gratitude, library, messages
    from api.auth import authenticate
    from api.content.cli import content_cli
    from api.devices.routes import blp as devices
    from api.extensions import db
    from api.memories.routes import blp as memories
    from api.moods.routes import moods_blp, needs_blp
    from api.notifications.routes import blp as notifications
    from api.observability.web import skip_preflight_auth
    from api.pairing.routes import couple, invites
    from api.questions.routes import blp as questions
    from api.read_only import begin_read_only, is_read_only_request
    from api.recaps.routes import IsoWeekConverter
    from api.recaps.routes import blp as recaps
    from api.rituals.routes import blp as rituals
    from api.rituals.routes import templates_blp as ritual_templates
    from api.storage import local_files
    from api.streaks.routes import blp as streaks
    from api.users.routes import blp as me

    app.register_blueprint(health.blp)
    if app.extensions["hearth_config"].API_DOCS:
        from api import docs

        app.register_blueprint(docs.blp)
    app.url_map.converters["isoweek"] = IsoWeekConverter
    api.register_converter(IsoWeekConverter, IsoWeekConverter.openapi)
    app.register_blueprint(local_files)
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
        needs_blp,
        moods_blp,
        recaps,
        memories,
        questions,
    ):
        api.register_blueprint(blueprint)

    @app.before_request
    def _guard() -> None:
        if request.path.startswith("/v1"):
            if app.extensions["hearth_config"].cors_origins and skip_preflight_auth():
                return  # a browser's CORS preflight carries no token; flask-cors answers it
            _require_json_body()
            read_only = is_read_only_request()
            if read_only:
                begin_read_only(db.session)
            authenticate(read_only=read_only)
            g.locale = g.user.locale  # errors answer in the sender's language


# The error of a body sent where none is taken, however it arrived.
NO_BODY_TAKEN = N_("This endpoint takes no request body.")


def _require_json_body() -> None:
    """413/415/400/422 for a body that is too big, not JSON, not parseable, or not storable.

    Checked once here, before any schema sees the body, so no route can forget it, and on the
    bytes that arrived: with Content-Length or chunked, on any method (a GET or DELETE too).
    """
    from werkzeug.exceptions import BadRequest, UnsupportedMediaType

    from api.errors import Invalid

    if request.routing_exception is not None:
        return  # no such route or method: the 404/405 comes first, whatever the body
    # Reads a chunked body as well as a counted one (413 past MAX_CONTENT_LENGTH).
    data = request.get_data(cache=True)
    _refuse_truncated_chunked_body(len(data))
    if not data:
        if request.method == "PATCH" and _takes_json_body():
            # A PATCH without a body is a client bug, not a no-op to answer 200 to.
            raise BodyNotTaken(
                detail=N_("Send the fields to change as a JSON object."),
                errors={"_body": [N_("A JSON object with the fields to change is required.")]},
            )
        return
    if not request.is_json:
        if not _takes_json_body():
            # Whatever its type: API.md's rule for a body where none is taken is a 422.
            raise BodyNotTaken(errors={"_body": [NO_BODY_TAKEN]})
        raise UnsupportedMediaType(N_("Send the body as application/json."))
    try:
        body = request.get_json()
    except (BadRequest, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser goes (a 64 KiB body of "[[[[...").
        if not _takes_json_body():
            # Where no body is taken, any body is the 422 (API.md), parseable or not.
            raise BodyNotTaken(errors={"_body": [NO_BODY_TAKEN]}) from exc
        raise BadRequest(N_("The request body is not valid JSON.")) from exc
    field = _unstorable_text_at(body)
    if field is not None:
        # PostgreSQL stores no NUL character, and no database a lone surrogate (not UTF-8).
        raise Invalid(field, N_("Text may not contain NUL characters or unpaired surrogates."))
    if not _takes_json_body():
        # API.md: a body sent where none is taken is a 422, an empty object or null too (the
        # apps send none). Named fields are what such an endpoint would silently ignore.
        if isinstance(body, dict) and body:
            raise BodyNotTaken(errors={name: [N_("Unknown field.")] for name in body})
        raise BodyNotTaken(errors={"_body": [NO_BODY_TAKEN]})


def _refuse_truncated_chunked_body(read: int) -> None:
    """413 for a chunked body longer than MAX_CONTENT_LENGTH.

    werkzeug stops reading a body of unknown length at the limit and hands over what it read,
    which would then be judged (400, invalid JSON) as if the client had sent only that.
    """
    from werkzeug.exceptions import RequestEntityTooLarge

    limit = request.max_content_length
    if request.content_length is not None or limit is None or read < limit:
        return
    # Exactly at the limit: one more byte from the server's (de-chunked, terminated) stream
    # tells a body of exactly the limit from a longer one.
    if request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


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
    title = N_("Unprocessable Entity")  # the type and title of every 422 (unknown fields)
    slug = "validation"  # type: ignore[assignment]

    def __init__(self, *, errors: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(
            detail or N_("This endpoint takes no request body; see errors."), errors=errors
        )


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
    from api.sqlite_locks import take_write_lock_for_row_locks

    take_write_lock_for_row_locks(engine)  # type: ignore[arg-type]

    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless told, per connection.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten with zeros, not left readable in free pages (erasure).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def _root():  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _instance_path():  # type: ignore[no-untyped-def]
    from api.config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(exist_ok=True)
    return INSTANCE_DIR
