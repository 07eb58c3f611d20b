"""Extensions are created here, unbound, and bound to the app in create_app().

The smorest Api is the exception: it is made per app in create_app(), because its spec
holds the app's routes and a test run builds more than one app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask.globals import app_ctx, request_ctx
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from limits.storage import Storage
from limits.strategies import RateLimiter
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

from api import sqlite_ids  # noqa: F401  (registers AUTOINCREMENT for SQLite's CREATE TABLE)


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


class AppLimiter(Limiter):
    """Flask-Limiter with its storage and switch kept per app, not on the shared object.

    Flask-Limiter keeps one storage on the Limiter; the module-level limiter is bound to every
    app create_app() builds (tests build several, jobs build their own), so the last app bound
    would otherwise count every app's hits, in its storage (possibly a Redis that is down).
    """

    _EXTENSION_KEY = "hearth_rate_limits"

    def init_app(self, app: Any) -> None:
        """Bind to app and remember this app's storage, strategy and switch."""
        super().init_app(app)
        app.extensions[self._EXTENSION_KEY] = {
            "enabled": bool(app.config.get("RATELIMIT_ENABLED", True)),
            "storage": self._storage,
            "limiter": self._limiter,
        }

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        """Flask-Limiter's check; its before_request pass is skipped when it has nothing to count.

        That pass counts default, application and meta limits only (a route's own limits are
        checked by the route's decorator). Hearth declares none, yet the pass cost a fifth of
        a small read's CPU (GET /v1/me, measured in process).
        """
        if in_middleware and not (
            self.limit_manager.application_limits
            or self.limit_manager.default_limits
            or self._meta_limits
            or self._in_memory_fallback
        ):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _state(self) -> dict[str, Any] | None:
        if not has_app_context():
            return None
        return current_app.extensions.get(self._EXTENSION_KEY)

    @property
    def enabled(self) -> bool:  # type: ignore[override]
        state = self._state()
        return state["enabled"] if state is not None else self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value

    @property
    def storage(self) -> Storage:
        """This app's storage."""
        state = self._state()
        return state["storage"] if state is not None else super().storage

    @property
    def limiter(self) -> RateLimiter:
        """This app's rate-limiting strategy (on this app's storage)."""
        state = self._state()
        if state is not None and state["limiter"] is not None:
            return state["limiter"]
        return super().limiter


limiter = AppLimiter(key_func=lambda: "global", default_limits=[])
