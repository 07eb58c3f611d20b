"""Health, readiness, config safety, the spec file and the migrations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.config import Config, ConfigError

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
