"""/v1/couple/recaps: the weekly recaps, newest first, and one week by its ISO label."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.routing import BaseConverter

from api.auth import current_couple
from api.extensions import db
from api.read_only import read_only
from api.recaps import service
from api.recaps.schemas import RecapPageArgs, RecapPageSchema, RecapSchema

blp = Blueprint("recaps", __name__, url_prefix="/v1/couple/recaps", description="The weekly recap")


class IsoWeekConverter(BaseConverter):
    """`<isoweek:week>`: an ISO week label `yyyy-Www` (not a row id: the couple's own week)."""

    # ASCII digits: \d also matches Arabic-Indic or full-width digits, which int() reads.
    regex = r"[0-9]{4}-W[0-9]{2}"

    @staticmethod
    def openapi(converter: BaseConverter) -> dict[str, str]:
        """The path parameter's schema in the spec."""
        return {"type": "string", "pattern": r"^[0-9]{4}-W[0-9]{2}$", "example": "2026-W10"}


@blp.route("")
class Recaps(MethodView):
    @read_only
    @blp.arguments(RecapPageArgs(), location="query")
    @blp.response(200, RecapPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Our weekly recaps, newest first; the current week is the recap so far"""
        return service.list_recaps(
            db.session, couple=current_couple(), limit=args["limit"], cursor=args["cursor"]
        )


@blp.route("/<isoweek:week>")
class RecapOfWeek(MethodView):
    @read_only
    @blp.response(200, RecapSchema)
    def get(self, week: str) -> dict[str, Any]:
        """One week's recap (Monday to Sunday in the couple's zone), e.g. 2026-W10"""
        return service.get(db.session, couple=current_couple(), label=week)
