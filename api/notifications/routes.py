"""/v1/notifications: the in-app feed of everything pushed (or that would have been)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.auth import current_user
from api.extensions import db
from api.notifications import service
from api.notifications.models import Notification
from api.notifications.schemas import MarkReadSchema, NotificationPageSchema
from api.pagination import Page, PageArgs, paginate

blp = Blueprint(
    "notifications", __name__, url_prefix="/v1/notifications", description="In-app feed"
)


@blp.route("")
class Feed(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> Page:
        """My notification feed, newest first"""
        stmt = select(Notification).where(Notification.recipient_id == current_user().id)
        return paginate(
            db.session, stmt, key=Notification.id, limit=args["limit"], cursor=args["cursor"]
        )


@blp.route("/read")
class MarkRead(MethodView):
    @blp.arguments(MarkReadSchema)
    @blp.response(204)
    def post(self, body: dict[str, Any]) -> None:
        """Mark my notifications read up to an id"""
        service.mark_read(db.session, user_id=current_user().id, up_to_id=body["up_to_id"])
        db.session.commit()
