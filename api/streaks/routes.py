"""/v1/couple/rituals/{id}/check-ins, /streak, /nudge and /v1/couple/streaks."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_couple, current_user
from api.errors import problem_doc
from api.extensions import db
from api.pagination import Page
from api.read_only import read_only
from api.streaks import service
from api.streaks.models import CheckIn, Nudge
from api.streaks.schemas import (
    CheckInInSchema,
    CheckInPageSchema,
    CheckInQuerySchema,
    CheckInSchema,
    NudgeSchema,
    StreakSchema,
)

blp = Blueprint(
    "streaks", __name__, url_prefix="/v1/couple", description="Check-ins, streaks and nudges"
)


@blp.route("/rituals/<int:ritual_id>/check-ins")
class CheckIns(MethodView):
    @blp.arguments(CheckInInSchema())
    @blp.response(201, CheckInSchema)
    @blp.alt_response(200, schema=CheckInSchema, description="A replay of the same client_id")
    @blp.alt_response(
        409,
        **problem_doc(
            "Already checked in that day, or client_id used by my partner or on another ritual"
        ),
    )
    def post(self, body: dict[str, Any], ritual_id: int) -> tuple[CheckIn, int]:
        """Check in to a ritual for today (or yesterday)"""
        checkin, created = service.check_in(
            db.session,
            couple=current_couple(),
            user=current_user(),
            ritual_id=ritual_id,
            client_id=str(body["client_id"]),
            local_date=body["local_date"],
            note=body["note"],
        )
        return checkin, 201 if created else 200

    @read_only
    @blp.arguments(CheckInQuerySchema(), location="query")
    @blp.response(200, CheckInPageSchema)
    def get(self, args: dict[str, Any], ritual_id: int) -> Page:
        """The ritual's check-in history, by day, newest first"""
        return service.list_check_ins(
            db.session,
            couple=current_couple(),
            ritual_id=ritual_id,
            from_=args["from_"],
            to=args["to"],
            limit=args["limit"],
            cursor=args["cursor"],
        )


@blp.route("/rituals/<int:ritual_id>/streak")
class Streak(MethodView):
    @read_only
    @blp.response(200, StreakSchema)
    def get(self, ritual_id: int) -> dict[str, Any]:
        """The ritual's streak now"""
        return service.streak(db.session, couple=current_couple(), ritual_id=ritual_id)


@blp.route("/streaks")
class Streaks(MethodView):
    @read_only
    @blp.response(200, StreakSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The streak of every ritual of the couple"""
        return service.streaks(db.session, couple=current_couple())


@blp.route("/rituals/<int:ritual_id>/nudge")
class NudgePartner(MethodView):
    @blp.response(202, NudgeSchema)
    @blp.alt_response(
        409,
        **problem_doc(
            "My partner has already done their part today (or anyone has, on an 'either'"
            " ritual), the ritual is paused, or today is not one of its scheduled days"
        ),
    )
    @blp.alt_response(
        429,
        **problem_doc(
            "Already nudged for this ritual today, or three nudges today",
            headers={
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            },
        ),
    )
    def post(self, ritual_id: int) -> Nudge:
        """Gently remind the partner of a ritual (once per ritual, three in all, per day)"""
        return service.nudge(
            db.session, couple=current_couple(), user=current_user(), ritual_id=ritual_id
        )
