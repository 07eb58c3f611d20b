"""/v1/notifications: the in-app feed of everything pushed (or that would have been)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_user
from api.extensions import db
from api.notifications import service
from api.notifications.schemas import FeedArgs, MarkReadSchema, NotificationPageSchema
from api.read_only import read_only

blp = Blueprint(
    "notifications", __name__, url_prefix="/v1/notifications", description="In-app feed"
)


@blp.route("")
class Feed(MethodView):
    @read_only
    @blp.arguments(FeedArgs(), location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My notification feed, newest first (only the unread with ?unread=true)"""
        page, unread = service.feed_page(
            db.session,
            user_id=current_user().id,
            unread=args["unread"],
            limit=args["limit"],
            cursor=args["cursor"],
        )
        return {"items": page.items, "next_cursor": page.next_cursor, "unread_count": unread}


@blp.route("/read")
class MarkRead(MethodView):
    @blp.arguments(MarkReadSchema())
    @blp.response(204)
    def post(self, body: dict[str, Any]) -> None:
        """Mark my notifications read up to an id"""
        service.mark_read(db.session, user_id=current_user().id, up_to_id=body["up_to_id"])
        db.session.commit()
