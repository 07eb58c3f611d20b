"""What every response and every start-up gets, whatever the route: headers, proxies, refusals."""

from __future__ import annotations

import sys
from typing import NoReturn

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import Config, ConfigError


def refuse_to_start(error: ConfigError) -> NoReturn:
    """One line on stderr and exit status 1: an operator reads a reason, not a traceback."""
    print(f"hearth: refusing to start: {error}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def config_or_exit() -> Config:
    """The config from the environment (credentials checked in production), or the refusal."""
    try:
        config = Config.from_env()
        check_production_credentials(config)
    except ConfigError as error:
        refuse_to_start(error)
    return config


def check_production_credentials(config: Config) -> None:
    """In production, refuse to start without Google credentials the app can load.

    Without them every authenticated call would be a 500 while /readyz said ready.
    """
    from api import firebase

    if not (config.is_production and firebase.needs_credentials(config)):
        return
    reason = firebase.credentials_problem(config)
    if reason is not None:
        raise ConfigError(
            f"{reason}: set GOOGLE_APPLICATION_CREDENTIALS or the platform's default credentials"
        )


def trust_proxies(app: Flask, config: Config) -> None:
    """Believe X-Forwarded-For/-Proto for exactly TRUSTED_PROXIES hops (none by default).

    Behind a proxy every request comes from the proxy's address; per-address limits need the
    client's. Believing more hops than there are proxies would let a client pick its address.
    """
    if config.TRUSTED_PROXIES > 0:
        hops = config.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def secure_headers(response: Response) -> Response:
    """after_request: personal data is never cached nor sniffed; a 401 names its scheme."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.path.startswith("/v1"):
        response.headers["Cache-Control"] = "no-store"
        if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
            sent = request.headers.get("Authorization", "").strip()
            # RFC 6750 §3: say "invalid_token" only when a token was sent.
            response.headers["WWW-Authenticate"] = (
                'Bearer error="invalid_token"' if sent else 'Bearer realm="hearth"'
            )
    return response


def install(app: Flask, config: Config) -> None:
    """Bind the proxy trust and the response headers to app."""
    trust_proxies(app, config)
    app.after_request(secure_headers)
