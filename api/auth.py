"""Bearer token -> the current user (Firebase ID tokens in production, dev:<uid> otherwise)."""

from __future__ import annotations

import logging
import re

from firebase_admin import auth as firebase_auth
from flask import current_app, g, request
from sqlalchemy import and_, select

from api import firebase
from api.clock import now
from api.config import Config
from api.db_utils import insert_ignore
from api.errors import DomainError, NotFound
from api.extensions import db
from api.pairing.models import Couple
from api.users.models import User

log = logging.getLogger(__name__)

DEV_TOKEN = re.compile(r"dev:([A-Za-z0-9_-]{1,128})")


class Unauthenticated(DomainError):
    status = 401
    title = "Unauthenticated"


class AuthUnavailable(DomainError):
    status = 503
    title = "Sign-in unavailable"


class NotPaired(NotFound):
    title = "Not paired"


def uid_from_token(token: str, config: Config) -> str:
    """Verify a bearer token and return the uid it speaks for."""
    if config.AUTH_MODE == "dev":
        match = DEV_TOKEN.fullmatch(token)
        if not match:
            raise Unauthenticated("Dev tokens look like dev:<uid>, uid of 1-128 [A-Za-z0-9_-].")
        return match.group(1)
    try:
        claims = firebase_auth.verify_id_token(token, app=firebase.get_app(config))
    except firebase_auth.CertificateFetchError as exc:
        # Google's keys could not be fetched: our outage, not a bad token. The app retries.
        log.error("could not fetch Firebase signing certificates: %s", exc)
        raise AuthUnavailable("Sign-in cannot be checked right now; try again shortly.") from exc
    except (ValueError, firebase_auth.InvalidIdTokenError) as exc:
        # The reason goes to the log only: it can say which check failed.
        log.info("rejected ID token: %s", exc)
        raise Unauthenticated("The ID token is not valid.") from exc
    return str(claims["uid"])


def provision(uid: str) -> tuple[User, Couple | None]:
    """The user for uid (created on first sight, race-safe) and their live couple, if any.

    One statement (an outer join) loads both: the couple is what most requests need next.
    """
    stmt = (
        select(User, Couple)
        .outerjoin(Couple, and_(Couple.id == User.couple_id, Couple.unpaired_at.is_(None)))
        .where(User.uid == uid)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        insert_ignore(db.session, User, {"uid": uid, "created_at": now()}, conflict_on=["uid"])
        db.session.commit()
        row = db.session.execute(stmt).one()
    return row[0], row[1]


def authenticate() -> None:
    """before_request hook for /v1: 401 unless a valid bearer token is sent."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send Authorization: Bearer <token>.")
    # g holds the couple too: the session's identity map keeps objects only weakly.
    g.user, g.couple = provision(
        uid_from_token(token.strip(), current_app.extensions["hearth_config"])
    )


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
        raise NotPaired("You are not paired.")
    return couple
