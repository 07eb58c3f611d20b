"""Bearer token -> the current user (Firebase ID tokens in production, dev:<uid> otherwise)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import re
import threading
import time
from typing import Any

from cachetools import TTLCache
from firebase_admin import auth as firebase_auth
from firebase_admin.exceptions import FirebaseError
from flask import current_app, g, request
from google.auth.exceptions import GoogleAuthError
from sqlalchemy import Select, and_, bindparam, select

from api import firebase
from api.clock import now
from api.config import Config
from api.db_utils import execute_core, insert_ignore
from api.errors import DomainError, NotFound, Unavailable
from api.extensions import db
from api.i18n import N_
from api.pairing.models import Couple, CoupleSnapshot
from api.redaction import redact
from api.snapshots import mapped_columns
from api.users.models import User, UserSnapshot

log = logging.getLogger(__name__)

DEV_TOKEN = re.compile(r"dev:([A-Za-z0-9_-]{1,128})")
# Verified tokens remembered by the revocation check, per process (about 1 KiB each).
REVOCATION_CACHE_SIZE = 10_000


class Unauthenticated(DomainError):
    status = 401
    title = N_("Unauthenticated")


class AuthUnavailable(Unavailable):
    title = N_("Sign-in unavailable")


class NotPaired(NotFound):
    title = N_("Not paired")


def uid_from_token(token: str, config: Config) -> str:
    """Verify a bearer token and return the uid it speaks for."""
    if config.AUTH_MODE == "dev":
        match = DEV_TOKEN.fullmatch(token)
        if not match:
            raise Unauthenticated(N_("Dev tokens look like dev:<uid>, uid of 1-128 [A-Za-z0-9_-]."))
        return match.group(1)
    if token.count(".") != 2 or not all(token.split(".")):
        # Not even shaped like a JWT (a dev:<uid> token, junk): no need to ask Google.
        raise Unauthenticated(N_("The ID token is not valid."))
    if firebase.credentials_problem(config) is not None:
        # Without credentials nothing can be verified: our outage (503), never a 500.
        raise AuthUnavailable(N_("Sign-in cannot be checked right now; try again shortly."))
    try:
        claims = _verify_id_token(token, config)
    except firebase_auth.CertificateFetchError as exc:
        # Google's keys could not be fetched: our outage, not a bad token. The app retries.
        log.error("could not fetch Firebase signing certificates: %s", exc)
        raise AuthUnavailable(
            N_("Sign-in cannot be checked right now; try again shortly.")
        ) from exc
    except (
        ValueError,
        firebase_auth.InvalidIdTokenError,  # RevokedIdTokenError too
        firebase_auth.UserDisabledError,
        firebase_auth.UserNotFoundError,
    ) as exc:
        # The reason goes to the log only: it can say which check failed. Some reasons quote
        # the token itself ("Wrong number of segments in token: b'...'"): cut it short.
        log.info("rejected ID token: %s: %s", type(exc).__name__, redact(str(exc)))
        raise Unauthenticated(N_("The ID token is not valid.")) from exc
    except (FirebaseError, GoogleAuthError) as exc:
        # The account lookup of the revocation check failed (Google, or our access token to
        # it, down): our outage.
        log.error("could not check ID token revocation: %s", type(exc).__name__)
        raise AuthUnavailable(
            N_("Sign-in cannot be checked right now; try again shortly.")
        ) from exc
    return str(claims["uid"])


_checked_lock = threading.Lock()
_checked: dict[float, TTLCache[str, dict[str, Any]]] = {}


def _verify_id_token(token: str, config: Config) -> dict[str, Any]:
    """verify_id_token, with the revocation check when configured, remembered briefly.

    check_revoked costs one account lookup at Google per call; a phone sends the same token
    for up to an hour, so a verified token is remembered for REVOCATION_CACHE_SECONDS (a
    revocation takes effect within that time) and never past its own expiry.
    """
    app = firebase.get_app(config)
    if not config.FIREBASE_CHECK_REVOKED:
        return firebase_auth.verify_id_token(token, app=app)
    ttl = config.REVOCATION_CACHE_SECONDS
    if ttl <= 0:
        return firebase_auth.verify_id_token(token, app=app, check_revoked=True)
    key = hashlib.sha256(token.encode()).hexdigest()  # the token itself is never kept
    with _checked_lock:
        cache = _checked.setdefault(ttl, TTLCache(maxsize=REVOCATION_CACHE_SIZE, ttl=ttl))
        claims = cache.get(key)
    if claims is not None and claims.get("exp", 0) > time.time():
        return claims
    claims = firebase_auth.verify_id_token(token, app=app, check_revoked=True)
    with _checked_lock:
        cache[key] = claims
    return claims


@functools.cache
def _user_and_couple() -> Select[tuple[User, Couple]]:
    """The user by ``uid`` (a bound parameter) with their live couple; built once."""
    return (
        select(User, Couple)
        .outerjoin(Couple, and_(Couple.id == User.couple_id, Couple.unpaired_at.is_(None)))
        .where(User.uid == bindparam("uid"))
    )


@functools.cache
def _snapshot_statement() -> Select[Any]:
    """_user_and_couple's row as plain table columns (no ORM entity, so no ORM loading)."""
    users, couples = User.__table__.c, Couple.__table__.c
    return (
        select(*(column for _, column in mapped_columns(User)))
        .add_columns(*(column for _, column in mapped_columns(Couple)))
        .select_from(User.__table__)
        .outerjoin(
            Couple.__table__,
            and_(couples.id == users.couple_id, couples.unpaired_at.is_(None)),
        )
        .where(users.uid == bindparam("uid"))
    )


def provision_snapshot(uid: str) -> tuple[Any, Any]:
    """provision() for a request that only reads: a UserSnapshot and a CoupleSnapshot (or None).

    The same one statement, without ORM objects. A first sight still goes through provision()
    (its INSERT and COMMIT), whose objects serve that one request.
    """
    row = execute_core(db.session, _snapshot_statement(), {"uid": uid}).first()
    if row is None:
        return provision(uid)
    split = len(dataclasses.fields(UserSnapshot))
    couple = CoupleSnapshot(*row[split:]) if row[split] is not None else None
    return UserSnapshot(*row[:split]), couple


def provision(uid: str) -> tuple[User, Couple | None]:
    """The user for uid (created on first sight, race-safe) and their live couple, if any.

    One statement (an outer join) loads both: the couple is what most requests need next.
    """
    row = db.session.execute(_user_and_couple(), {"uid": uid}).first()
    if row is None:
        insert_ignore(db.session, User, {"uid": uid, "created_at": now()}, conflict_on=["uid"])
        db.session.commit()
        row = db.session.execute(_user_and_couple(), {"uid": uid}).one()
    return row[0], row[1]


def authenticate(*, read_only: bool) -> None:
    """before_request hook for /v1: 401 unless a valid bearer token is sent.

    A request that only reads (api/read_only.py) gets frozen snapshots of its user and couple,
    any other the ORM objects it may change.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(N_("Send Authorization: Bearer <token>."))
    uid = uid_from_token(token.strip(), current_app.extensions["hearth_config"])
    # g holds the couple too: the session's identity map keeps objects only weakly.
    g.user, g.couple = (provision_snapshot if read_only else provision)(uid)
    # Kept apart: a commit expires the object (reading its id could SELECT), or its row goes.
    g.user_id = g.user.id


def current_user() -> User:
    """The authenticated user of this request."""
    return g.user


def current_couple() -> Couple:
    """The caller's couple, from the token and never from a path id; 404 when not paired."""
    user = current_user()
    couple = g.get("couple")
    if couple is None or couple.id != user.couple_id:
        # Paired or unpaired by this very request: ask again.
        couple = db.session.get(Couple, user.couple_id) if user.couple_id else None
    if couple is None or couple.unpaired_at is not None:
        raise NotPaired(N_("You are not paired."))
    return couple
