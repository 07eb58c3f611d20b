"""/v1/ritual-templates and /v1/couple/rituals."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_couple, current_user
from api.clock import now
from api.errors import problem_doc, rate_limited_doc
from api.extensions import db
from api.read_only import read_only
from api.rituals import service
from api.rituals.schemas import (
    RitualCreateSchema,
    RitualPatchSchema,
    RitualSchema,
    RitualTemplateSchema,
)

templates_blp = Blueprint(
    "ritual_templates",
    __name__,
    url_prefix="/v1/ritual-templates",
    description="Starting points for rituals (managed as content)",
)
blp = Blueprint(
    "rituals", __name__, url_prefix="/v1/couple/rituals", description="The couple's rituals"
)


@templates_blp.route("")
class RitualTemplates(MethodView):
    @read_only
    @templates_blp.response(200, RitualTemplateSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List the ritual templates"""
        locale = current_user().locale
        return [service.template_to_dict(t, locale) for t in service.list_templates(db.session)]


@blp.route("")
class Rituals(MethodView):
    @blp.arguments(RitualCreateSchema())
    @blp.response(201, RitualSchema)
    @blp.alt_response(200, schema=RitualSchema, description="A replay of the same client_id")
    @blp.alt_response(404, **problem_doc("Not paired, or a replay of a ritual deleted since"))
    @blp.alt_response(
        409,
        **problem_doc("The couple already has 50 live rituals, or client_id used by my partner"),
    )
    @blp.alt_response(429, **rate_limited_doc("20 new rituals today already (the couple's day)"))
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Create a ritual (missing fields come from its template)"""
        couple = current_couple()
        ritual, created = service.create(
            db.session, couple=couple, user_id=current_user().id, body=body
        )
        return service.to_dict(ritual, couple=couple, moment=now()), 201 if created else 200

    @read_only
    @blp.response(200, RitualSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List our rituals"""
        moment = now()
        couple = current_couple()
        return [
            service.to_dict(r, couple=couple, moment=moment, timeline=timeline)
            for r, timeline in service.list_with_timelines(db.session, couple=couple, moment=moment)
        ]


@blp.route("/<int:ritual_id>")
class RitualById(MethodView):
    @read_only
    @blp.response(200, RitualSchema)
    def get(self, ritual_id: int) -> dict[str, Any]:
        """Read one ritual"""
        couple = current_couple()
        moment = now()
        ritual, timeline = service.get_with_timeline(
            db.session, couple=couple, ritual_id=ritual_id, moment=moment
        )
        return service.to_dict(ritual, couple=couple, moment=moment, timeline=timeline)

    @blp.arguments(RitualPatchSchema())
    @blp.response(200, RitualSchema)
    def patch(self, changes: dict[str, Any], ritual_id: int) -> dict[str, Any]:
        """Change a ritual: schedule, reminder, completion, paused, wording"""
        couple = current_couple()
        ritual = service.update(db.session, couple=couple, ritual_id=ritual_id, changes=changes)
        moment = now()
        timeline = service.timelines_for(db.session, couple, [ritual], moment)[ritual.id]
        return service.to_dict(ritual, couple=couple, moment=moment, timeline=timeline)

    @blp.response(204)
    def delete(self, ritual_id: int) -> None:
        """Delete a ritual"""
        service.delete(db.session, couple=current_couple(), ritual_id=ritual_id)
