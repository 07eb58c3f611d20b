"""Extensions are created here, unbound, and bound to the app in create_app().

The smorest Api is the exception: it is made per app in create_app(), because its spec
holds the app's routes and a test run builds more than one app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import has_request_context
from flask.globals import app_ctx, request_ctx
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as UTC and always hands back aware UTC datetimes (SQLite forgets tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: JSON()},
    )


def _session_scope() -> int:
    """One session per request, else per app context.

    Flask-SQLAlchemy scopes by app context; a test that holds an app context would then share
    its session with every request it makes and hide a missing commit. Per-request sessions
    keep each request honest (they are removed in teardown_request).
    """
    if has_request_context():
        return id(request_ctx._get_current_object())  # type: ignore[attr-defined]
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


db = SQLAlchemy(model_class=Base, session_options={"scopefunc": _session_scope})
migrate = Migrate()
limiter = Limiter(key_func=lambda: "global", default_limits=[])
