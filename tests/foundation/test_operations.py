"""Health, readiness, config safety, the spec file and the migrations."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.config import Config, ConfigError
from api.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]


def test_healthz(client):
    assert client.get("/healthz").status_code == 200


def test_readyz_ok_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": True, "redis": True}


def test_readyz_503_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.get_json()["checks"]["redis"] is False


def test_readyz_503_when_database_is_down(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == 503
    assert body["checks"] == {"database": False, "redis": True}


def test_readyz_503_on_a_database_never_migrated(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"] is False
    assert "database not migrated" in body["detail"]


def test_readyz_503_on_a_database_behind_the_code(make_app, tmp_path):
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text

    head = ScriptDirectory(str(ROOT / "migrations")).get_revision("head")
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    with create_engine(url).begin() as conn:  # the release step has not run the last migration
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head.down_revision})
    response = make_app(DATABASE_URL=url).test_client().get("/readyz")
    assert response.status_code == 503
    detail = response.get_json()["detail"]
    assert f"database at migration {head.down_revision}, code at {head.revision}" in detail


def test_readyz_ready_on_a_database_ahead_of_the_code(make_app, app, tmp_path):
    """A newer release migrated; this older one still serves (a rolling deploy, a rollback):
    taking every old instance out of rotation before the new ones are up is an outage."""
    from sqlalchemy import text

    from api.extensions import db

    with db.engine.begin() as conn:
        applied = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    try:
        response = app.test_client().get("/readyz")
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": applied})
    assert response.status_code == 200, response.get_json()


def test_readyz_503_not_500_on_any_redis_error(make_app, monkeypatch):
    """Redis still loading its dataset, or refusing our password, is "not ready" too."""
    import redis

    app = make_app()

    def refuse() -> bool:
        raise redis.exceptions.ResponseError("LOADING Redis is loading the dataset in memory")

    monkeypatch.setattr(app.extensions["hearth_queue"].connection, "ping", refuse)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.get_json()["checks"] == {"database": True, "redis": False}


PRODUCTION = {
    "APP_ENV": "production",
    "AUTH_MODE": "firebase",
    "PUSH_BACKEND": "firebase",
    "DATABASE_URL": "postgresql://h@db/hearth",
    "REDIS_URL": "redis://cache:6379/0",
    "STORAGE_BUCKET": "hearth-photos",
}


def test_production_config_is_accepted():
    config = Config.from_env(PRODUCTION)
    assert config.DATABASE_URL.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"AUTH_MODE": "dev"}, "AUTH_MODE=dev"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "localhost:9099"}, "FIREBASE_AUTH_EMULATOR_HOST"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
        ({"REDIS_URL": ""}, "Redis"),
        ({"STORAGE_BUCKET": ""}, "STORAGE_BUCKET"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"PUSH_BACKEND": "carrier-pigeon"}, "PUSH_BACKEND"),
        # Values of the wrong type: a one-line reason too, never a traceback.
        ({"MAX_CONTENT_LENGTH": "abc"}, "MAX_CONTENT_LENGTH must be a whole number"),
        ({"FCM_TIMEOUT_SECONDS": "ten"}, "FCM_TIMEOUT_SECONDS must be a number"),
        ({"RATELIMIT_ENABLED": "maybe"}, "RATELIMIT_ENABLED must be true or false"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ],
)
def test_dangerous_config_refuses_to_start_with_one_line_reason(change, reason):
    with pytest.raises(ConfigError) as error:
        Config.from_env({**PRODUCTION, **change})
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


def test_openapi_file_matches_the_code(app):
    """openapi/openapi.json is what `flask openapi write` produces from this code."""
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    live = app.test_client().get("/openapi.json").get_json()
    assert committed == live, "stale spec: run `make openapi`"


def test_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


def test_models_and_migrations_agree(app):
    """No pending autogenerate diff: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from api.extensions import db

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


@pytest.mark.parametrize(
    ("operation_id", "statuses"),
    [
        # The per-day and kept-entry limits a client meets in normal use (API.md's limits).
        ("createRitual", {"409", "429"}),
        ("createInvite", {"409", "429"}),
        ("sendAffirmation", {"429"}),
        ("createGratitude", {"409", "429"}),
        ("createRitualNudge", {"409", "429"}),
        # A body where none is taken (422) or too large (413), on any operation.
        ("getMe", {"413", "422"}),
        ("deleteRitual", {"413", "422"}),
    ],
)
def test_the_spec_documents_the_errors_an_operation_answers(operation_id, statuses):
    spec = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    operations = {
        op["operationId"]: op
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert statuses <= set(operations[operation_id]["responses"])


# -- every DomainError an operation can raise is documented -----------------------------------


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    """What a name or a dotted name refers to (only through modules and classes: no proxies)."""
    if isinstance(node, ast.Name):
        return names.get(node.id, getattr(builtins, node.id, None))
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        if inspect.ismodule(base) or isinstance(base, type):
            return getattr(base, node.attr, None)
    return None


def _raised(func: Any, seen: set[Any]) -> set[type[DomainError]]:
    """The DomainErrors func raises, itself or through the api functions it calls.

    A static over-approximation: every `raise` of the functions reachable by name (methods
    called on objects are not followed).
    """
    func = inspect.unwrap(func)
    if func in seen or not getattr(func, "__module__", "").startswith("api"):
        return set()
    seen.add(func)
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    names = {**func.__globals__, **inspect.getclosurevars(func).nonlocals}
    for node in ast.walk(tree):  # imports inside the function (cycles between domains)
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            names.update({a.asname or a.name: getattr(module, a.name, None) for a in node.names})
    found: set[type[DomainError]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            target = _resolve(exc, names)
            if isinstance(target, type) and issubclass(target, DomainError):
                found.add(target)
        elif isinstance(node, ast.Call):
            target = _resolve(node.func, names)
            if inspect.isfunction(target) or inspect.ismethod(target):
                found |= _raised(target, seen)
    return found


def _operations_of(app: Any) -> Iterator[tuple[str, str, Any]]:
    """(spec path, method, handler) of every /v1 operation."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            view_class = getattr(view, "view_class", None)
            yield path, method.lower(), getattr(view_class, method.lower()) if view_class else view


def test_every_domain_error_an_operation_can_raise_is_documented(app):
    """API.md: every operation documents each error it can answer. POST /v1/couple/moods
    answered a 409 its spec did not list, and every /v1 operation the 503 of sign-in."""
    spec = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    # The /v1 guard (body checks, authentication) runs before every operation.
    hooks = set().union(*(_raised(hook, set()) for hook in app.before_request_funcs[None]))
    assert {e.status for e in hooks} >= {401, 503}
    undocumented, walked = [], 0
    for path, method, handler in _operations_of(app):
        documented = spec["paths"][path][method]["responses"]
        for error in sorted(hooks | _raised(handler, set()), key=lambda e: e.__name__):
            walked += 1
            if str(error.status) not in documented:
                undocumented.append(f"{method.upper()} {path}: {error.status} {error.__name__}")
    assert walked > 100  # the walk reached the services
    assert undocumented == []
