"""/v1/invites and /v1/couple: pairing two people, and the couple they make."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_couple, current_user
from api.errors import problem_doc, rate_limited_doc
from api.extensions import db, limiter
from api.pairing import service
from api.pairing.schemas import CouplePatchSchema, CoupleSchema, InviteSchema, JoinSchema
from api.read_only import read_only

invites = Blueprint("invites", __name__, url_prefix="/v1/invites", description="Invite codes")
couple = Blueprint("couple", __name__, url_prefix="/v1/couple", description="The couple")

JOIN_LIMIT = "10 per hour"
JOIN_LIMIT_MESSAGE = "Too many attempts to join: at most 10 an hour. Try again later."
# Per client address too: fresh accounts are free, so a per-account limit alone lets one
# machine guess codes as fast as it can sign up.
JOIN_ADDRESS_LIMIT = "30 per hour"
JOIN_ADDRESS_LIMIT_MESSAGE = "Too many attempts to join from your network. Try again later."


def _join_limit_key() -> str:
    # Per person (the auth uid, which survives erasing and re-creating the account), and
    # only after authentication: the limit is checked when the view is called.
    return f"join:{current_user().uid}"


def _join_address_key() -> str:
    # remote_addr is the client's: ProxyFix (TRUSTED_PROXIES) rewrote it behind a proxy.
    return f"join-address:{request.remote_addr or 'unknown'}"


@invites.route("")
class Invites(MethodView):
    @invites.response(201, InviteSchema)
    @invites.alt_response(409, **problem_doc("Already paired"))
    @invites.alt_response(429, **rate_limited_doc("20 invite codes today already"))
    def post(self) -> service.NewInvite:
        """Create my invite code (revokes my previous one)"""
        return service.create_invite(db.session, user=current_user())


@invites.route("/current")
class CurrentInvite(MethodView):
    @read_only
    @invites.response(200, InviteSchema)
    @invites.alt_response(404, **problem_doc("No live invite"))
    def get(self) -> service.NewInvite:
        """Read my live invite code back"""
        return service.current_invite(db.session, user=current_user())

    @invites.response(204)
    def delete(self) -> None:
        """Revoke my live invite code"""
        service.revoke_invite(db.session, user=current_user())


@couple.route("")
class Couple(MethodView):
    # The limiter wraps the whole view, so malformed attempts count too.
    @limiter.limit(
        JOIN_ADDRESS_LIMIT, key_func=_join_address_key, error_message=JOIN_ADDRESS_LIMIT_MESSAGE
    )
    @limiter.limit(JOIN_LIMIT, key_func=_join_limit_key, error_message=JOIN_LIMIT_MESSAGE)
    @couple.arguments(JoinSchema())
    @couple.response(201, CoupleSchema)
    @couple.alt_response(
        404, **problem_doc("Unknown, expired, used or revoked, or the inviter has paired since")
    )
    @couple.doc(operationId="joinCouple")
    @couple.alt_response(409, **problem_doc("You or the inviter are already paired"))
    @couple.alt_response(
        429,
        **problem_doc(
            "More than 10 attempts in an hour, or 30 from one client address",
            headers={
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            },
        ),
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Join a partner with their invite code (10 attempts per hour, 30 per address)"""
        joined = service.join(db.session, user=current_user(), raw_code=body["code"])
        return service.to_dict(db.session, joined)

    @read_only
    @couple.response(200, CoupleSchema)
    @couple.alt_response(404, **problem_doc("Not paired"))
    def get(self) -> dict[str, Any]:
        """Read my couple"""
        return service.to_dict(db.session, current_couple())

    @couple.arguments(CouplePatchSchema())
    @couple.response(200, CoupleSchema)
    @couple.alt_response(404, **problem_doc("Not paired"))
    def patch(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Update my couple's anniversary, time zone, start of day or daily-question time"""
        updated = service.update_couple(db.session, couple=current_couple(), changes=changes)
        return service.to_dict(db.session, updated)

    @couple.response(204)
    @couple.alt_response(404, **problem_doc("Not paired"))
    def delete(self) -> None:
        """Unpair (my partner is told)"""
        current_couple()  # 404 when not paired
        service.unpair(db.session, user=current_user())
