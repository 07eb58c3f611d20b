"""/v1/affirmations (the library), /v1/couple/affirmations (messages), /v1/couple/gratitude."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.affirmations import service
from api.affirmations.models import AffirmationMessage, GratitudeEntry
from api.affirmations.schemas import (
    AffirmationPageSchema,
    AffirmationSchema,
    BoxArgs,
    GratitudeCreateSchema,
    GratitudePageSchema,
    GratitudeSchema,
    LibraryArgs,
    MessagePageSchema,
    MessageSchema,
    ReactionSchema,
    SendSchema,
)
from api.auth import current_couple, current_user
from api.errors import problem_doc, rate_limited_doc
from api.extensions import db
from api.pagination import Page, PageArgs
from api.read_only import read_only

library = Blueprint(
    "affirmations", __name__, url_prefix="/v1/affirmations", description="The affirmation library"
)
messages = Blueprint(
    "couple-affirmations",
    __name__,
    url_prefix="/v1/couple/affirmations",
    description="Affirmations sent between partners",
)
gratitude = Blueprint(
    "gratitude",
    __name__,
    url_prefix="/v1/couple/gratitude",
    description="The couple's shared gratitude list",
)


@library.route("")
class Library(MethodView):
    @read_only
    @library.arguments(LibraryArgs(), location="query")
    @library.response(200, AffirmationPageSchema)
    def get(self, args: dict[str, Any]) -> Page:
        """The library in my locale (en where it has no translation)"""
        return service.list_library(
            db.session,
            user=current_user(),
            category=args["category"],
            limit=args["limit"],
            cursor=args["cursor"],
        )


@library.route("/daily")
class Daily(MethodView):
    # A day's first read writes its pick: service.daily ends the autocommit before it does.
    @read_only
    @library.response(200, AffirmationSchema)
    @library.alt_response(404, **problem_doc("The library is empty"))
    def get(self) -> service.LibraryItem:
        """Today's suggestion for me: the same all day, no repeat until the library is done"""
        return service.daily(db.session, user=current_user())


@messages.route("")
class Messages(MethodView):
    @messages.arguments(SendSchema())
    @messages.response(201, MessageSchema)
    @messages.alt_response(200, schema=MessageSchema, description="A replay of client_id")
    @messages.alt_response(409, **problem_doc("client_id already used by my partner"))
    @messages.alt_response(429, **rate_limited_doc("200 messages today already"))
    @messages.doc(operationId="sendAffirmation")
    def post(self, body: dict[str, Any]) -> tuple[AffirmationMessage, int]:
        """Send my partner a library affirmation or my own words"""
        message, created = service.send(
            db.session,
            couple=current_couple(),
            sender=current_user(),
            client_id=str(body["client_id"]),
            affirmation_id=body.get("affirmation_id"),
            text=body.get("text"),
        )
        return message, 201 if created else 200

    @read_only
    @messages.arguments(BoxArgs(), location="query")
    @messages.response(200, MessagePageSchema)
    @messages.doc(operationId="listAffirmationMessages")
    def get(self, args: dict[str, Any]) -> Page:
        """What I received (default) or sent, newest first"""
        return service.inbox(
            db.session,
            couple=current_couple(),
            user=current_user(),
            box=args["box"],
            limit=args["limit"],
            cursor=args["cursor"],
        )


@messages.route("/<int:message_id>/read")
class MessageRead(MethodView):
    @messages.response(204)
    @messages.alt_response(403, **problem_doc("Only the recipient marks a message read"))
    @messages.doc(operationId="markAffirmationMessageRead")
    def post(self, message_id: int) -> None:
        """Mark a message I received read"""
        service.mark_read(
            db.session, couple=current_couple(), user=current_user(), message_id=message_id
        )


@messages.route("/<int:message_id>/reaction")
class MessageReaction(MethodView):
    @messages.arguments(ReactionSchema())
    @messages.response(200, MessageSchema)
    @messages.alt_response(403, **problem_doc("Only the recipient reacts to a message"))
    @messages.doc(operationId="setAffirmationMessageReaction")
    def put(self, body: dict[str, Any], message_id: int) -> AffirmationMessage:
        """React to a message I received with one emoji"""
        return service.react(
            db.session,
            couple=current_couple(),
            user=current_user(),
            message_id=message_id,
            emoji=body["emoji"],
        )


@gratitude.route("")
class Gratitude(MethodView):
    @gratitude.arguments(GratitudeCreateSchema())
    @gratitude.response(201, GratitudeSchema)
    @gratitude.alt_response(200, schema=GratitudeSchema, description="A replay of client_id")
    @gratitude.alt_response(404, **problem_doc("Not paired, or a replay of an entry deleted since"))
    @gratitude.alt_response(
        409, **problem_doc("1,000 entries kept already, or client_id used by my partner")
    )
    @gratitude.alt_response(429, **rate_limited_doc("50 entries today already"))
    def post(self, body: dict[str, Any]) -> tuple[GratitudeEntry, int]:
        """Add something I appreciate about my partner to our list"""
        entry, created = service.add_gratitude(
            db.session,
            couple=current_couple(),
            author=current_user(),
            text=body["text"],
            client_id=str(body["client_id"]),
        )
        return entry, 201 if created else 200

    @read_only
    @gratitude.arguments(PageArgs(), location="query")
    @gratitude.response(200, GratitudePageSchema)
    def get(self, args: dict[str, Any]) -> Page:
        """Our gratitude list, newest first"""
        return service.list_gratitude(
            db.session, couple=current_couple(), limit=args["limit"], cursor=args["cursor"]
        )


@gratitude.route("/<int:entry_id>")
class GratitudeItem(MethodView):
    @gratitude.response(204)
    @gratitude.alt_response(403, **problem_doc("Written by my partner: only the author deletes"))
    def delete(self, entry_id: int) -> None:
        """Delete an entry I wrote (someone else's: 403; another couple's: 404)"""
        service.delete_gratitude(
            db.session, couple=current_couple(), user=current_user(), entry_id=entry_id
        )
