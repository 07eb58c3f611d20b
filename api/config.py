"""One Config, read from the environment and validated once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

APP_ENVS = ("development", "test", "production")
# Dev auth (dev:<uid> tokens) only where APP_ENV says so explicitly: a forgotten variable
# must never open every account.
DEV_AUTH_ENVS = ("development", "test")
AUTH_MODES = ("firebase", "dev")
PUSH_BACKENDS = ("firebase", "log")

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _parse(name: str, kind: object, raw: str) -> object:
    """One variable's value by its field's type; ConfigError (one line) when it is not one."""
    try:
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
    except ValueError:
        what = "a whole number" if kind in ("int", int) else "a number"
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from None
    if kind in ("bool", bool):
        word = raw.strip().lower()
        if word not in _TRUE + _FALSE:
            raise ConfigError(f"{name} must be true or false, not {raw!r}")
        return word in _TRUE
    return raw


class ConfigError(RuntimeError):
    """The configuration is unusable or dangerous; the message is the one-line reason."""


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'hearth.sqlite3'}"


def _normalise_database_url(url: str) -> str:
    # Heroku-style URLs say postgres://; SQLAlchemy wants a driver, and we ship psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Config:
    """Every setting Hearth reads; see README.md for the table."""

    # Empty means unset: then AUTH_MODE defaults to firebase (fail safe, never dev auth).
    APP_ENV: str = ""
    DATABASE_URL: str = field(default_factory=_default_database_url)
    REDIS_URL: str | None = None
    # Empty means "the default for APP_ENV": dev with development/test, else firebase.
    AUTH_MODE: str = ""
    PUSH_BACKEND: str = "log"
    FIREBASE_PROJECT_ID: str | None = None
    GOOGLE_APPLICATION_CREDENTIALS: str | None = None
    FIREBASE_AUTH_EMULATOR_HOST: str | None = None
    # Only tests point this at the fake FCM server; production leaves it unset.
    FCM_ENDPOINT: str | None = None
    # Only tests point this at the fake Google certificate endpoint.
    FIREBASE_CERT_URL: str | None = None
    # Only tests point this at the fake Identity Toolkit (the account lookup of revocation).
    FIREBASE_AUTH_URL: str | None = None
    # Also check that the ID token was not revoked and the account is not disabled (one
    # account lookup at Google per token, remembered for REVOCATION_CACHE_SECONDS).
    FIREBASE_CHECK_REVOKED: bool = False
    REVOCATION_CACHE_SECONDS: float = 60.0
    FCM_TIMEOUT_SECONDS: float = 10.0
    MAX_CONTENT_LENGTH: int = 64 * 1024
    RATELIMIT_ENABLED: bool = True
    LOG_LEVEL: str = "INFO"
    QUEUE_NAME: str = "hearth"
    # Interactive docs at /docs (Swagger UI from an installed package); false turns them off.
    API_DOCS: bool = True
    # Photos: S3-compatible storage when STORAGE_BUCKET is set (STORAGE_URL: a non-AWS
    # endpoint), else a folder (STORAGE_DIR, default instance/storage) served by the app.
    STORAGE_URL: str | None = None
    STORAGE_BUCKET: str | None = None
    STORAGE_DIR: str | None = None
    # Signs the local folder's URLs; unset, a key kept in the folder is used.
    STORAGE_SIGNING_KEY: str | None = None
    # The app's public address, for the local folder's URLs (default: the request's host).
    PUBLIC_URL: str | None = None
    # How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the
    # socket's address is the client's). Only that many hops are believed.
    TRUSTED_PROXIES: int = 0

    # `json` (one object per line) or `text`; empty means json in production, text elsewhere.
    LOG_FORMAT: str = ""
    SENTRY_DSN: str | None = None
    # Comma-separated browser origins allowed on /v1 (the `web` platform); none by default.
    CORS_ORIGINS: str = ""
    # A worker or clock serves its own /metrics on this port when set (0: off).
    METRICS_PORT: int = 0

    def __post_init__(self) -> None:
        if not self.AUTH_MODE:
            mode = "dev" if self.APP_ENV in DEV_AUTH_ENVS else "firebase"
            object.__setattr__(self, "AUTH_MODE", mode)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Config:
        """Build the config from environment variables (empty values count as unset)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f.name)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values.update(overrides)
        config = cls(**values)  # type: ignore[arg-type]
        config = replace(config, DATABASE_URL=_normalise_database_url(config.DATABASE_URL))
        config.validate()
        return config

    @property
    def is_production(self) -> bool:
        return self.APP_ENV == "production"

    @property
    def embedded_queue(self) -> bool:
        """No REDIS_URL: the queue is an in-process fakeredis."""
        return not self.REDIS_URL

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def log_format(self) -> str:
        """The effective LOG_FORMAT: json in production unless told otherwise."""
        return self.LOG_FORMAT or ("json" if self.is_production else "text")

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """The origins CORS_ORIGINS names, without blanks."""
        return tuple(o.strip() for o in self.CORS_ORIGINS.split(",") if o.strip())

    def validate(self) -> None:
        """Refuse unknown values and the dangerous mixes, with a one-line reason."""
        if self.LOG_LEVEL.upper() not in LOG_LEVELS:
            raise ConfigError(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.LOG_LEVEL!r}"
            )
        if self.LOG_FORMAT not in ("", "json", "text"):
            raise ConfigError(f"LOG_FORMAT must be json or text, not {self.LOG_FORMAT!r}")
        if "*" in self.cors_origins:
            raise ConfigError("CORS_ORIGINS must name origins; '*' would let any site call the API")
        if self.APP_ENV and self.APP_ENV not in APP_ENVS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {self.APP_ENV!r}")
        if self.AUTH_MODE not in AUTH_MODES:
            raise ConfigError(f"AUTH_MODE must be one of {', '.join(AUTH_MODES)}")
        if self.PUSH_BACKEND not in PUSH_BACKENDS:
            raise ConfigError(f"PUSH_BACKEND must be one of {', '.join(PUSH_BACKENDS)}")
        if self.STORAGE_URL and not self.STORAGE_BUCKET:
            # Photos would silently land in the local folder instead of the store named.
            raise ConfigError("STORAGE_URL is set without STORAGE_BUCKET: name the bucket too")
        if self.TRUSTED_PROXIES < 0:
            raise ConfigError("TRUSTED_PROXIES is a number of proxy hops: 0 or more")
        if self.AUTH_MODE == "dev" and self.APP_ENV not in DEV_AUTH_ENVS:
            raise ConfigError(
                "AUTH_MODE=dev needs APP_ENV set explicitly to development or test"
                f" (APP_ENV is {self.APP_ENV or 'unset'}): anyone could sign in as anyone"
            )
        if not self.is_production:
            return
        if not self.RATELIMIT_ENABLED:
            raise ConfigError(
                "RATELIMIT_ENABLED=false is refused in production: guessing and floods go unchecked"
            )
        if self.FIREBASE_AUTH_EMULATOR_HOST:
            raise ConfigError(
                "FIREBASE_AUTH_EMULATOR_HOST is set in production: ID tokens would go unverified"
            )
        if self.is_sqlite:
            raise ConfigError("production needs PostgreSQL: set DATABASE_URL (SQLite is for dev)")
        if not self.REDIS_URL:
            raise ConfigError(
                "production needs Redis: set REDIS_URL (the embedded queue is for dev)"
            )
        if not self.STORAGE_BUCKET:
            raise ConfigError(
                "production needs object storage: set STORAGE_BUCKET (the local folder is for dev)"
            )
        if self.FCM_ENDPOINT or self.FIREBASE_CERT_URL or self.FIREBASE_AUTH_URL:
            raise ConfigError(
                "FCM_ENDPOINT / FIREBASE_CERT_URL / FIREBASE_AUTH_URL are test overrides,"
                " not for production"
            )

    def flask_settings(self) -> dict[str, object]:
        """The subset handed to Flask's app.config."""
        return {
            "SQLALCHEMY_DATABASE_URI": self.DATABASE_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": self._engine_options(),
            "MAX_CONTENT_LENGTH": self.MAX_CONTENT_LENGTH,
            "TESTING": self.APP_ENV == "test",
            "API_TITLE": "Hearth API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/",
            "OPENAPI_JSON_PATH": "openapi.json",
            "OPENAPI_SWAGGER_UI_PATH": "/docs" if self.API_DOCS else None,
            # Served by api/docs.py from the swagger-ui-bundle package: no CDN, works offline.
            "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
            "RATELIMIT_ENABLED": self.RATELIMIT_ENABLED,
            "RATELIMIT_STORAGE_URI": self.REDIS_URL or "memory://",
            # A stopped or hung Redis must not hold (5 s) or fail (500) a request: short
            # timeouts, and the request goes on unlimited, logged, while Redis is away.
            "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
            "RATELIMIT_SWALLOW_ERRORS": True,
            # "10 per hour" means any 60 minutes, not 20 across a fixed window's edge.
            "RATELIMIT_STRATEGY": "moving-window",
            "RATELIMIT_HEADERS_ENABLED": True,
            "JSON_SORT_KEYS": False,
        }

    def _engine_options(self) -> dict[str, object]:
        # A statement's parameters can be a user's words: no error text (the web's log, a
        # worker's, RQ's failed-job traceback, Sentry) ever quotes them.
        private = {"hide_parameters": True}
        if self.is_sqlite:
            # The web thread, the embedded worker and the clock share the file.
            return {
                **private,
                "connect_args": {"check_same_thread": False, "timeout": 30},
                "pool_reset_on_return": None,  # see below
            }
        return {
            **private,
            # No ping per checkout (a round trip per request): api/pool.py pings only a
            # connection that sat idle, and recycling retires old ones before a server or
            # proxy idle timeout would.
            "pool_recycle": 1800,
            # Every Session ends its transaction (commit or rollback) before it returns its
            # connection, so the pool's own reset would be a second ROLLBACK round trip.
            "pool_reset_on_return": None,
        }
