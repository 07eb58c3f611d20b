"""/v1/me: the caller's own account."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_user
from api.extensions import db
from api.read_only import read_only
from api.users import service
from api.users.schemas import MePatchSchema, MeSchema

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The caller's own account")


@blp.route("")
class Me(MethodView):
    @read_only
    @blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Read my profile"""
        return service.to_dict(current_user())

    @blp.arguments(MePatchSchema())
    @blp.response(200, MeSchema)
    def patch(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Update my profile"""
        return service.to_dict(service.update(db.session, user=current_user(), changes=changes))

    @blp.response(204)
    def delete(self) -> None:
        """Erase my account"""
        service.erase(db.session, user=current_user())
