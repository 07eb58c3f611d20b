"""/v1/needs (the vocabulary) and /v1/couple/moods (entries, today, history, summary)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Row

from api.auth import current_couple, current_user
from api.errors import problem_doc
from api.extensions import db
from api.moods import service
from api.moods.models import MoodEntry
from api.moods.schemas import (
    HistoryArgs,
    MoodCreateSchema,
    MoodEntrySchema,
    MoodPageSchema,
    MoodSummarySchema,
    MoodTodaySchema,
    NeedSchema,
    SummaryArgs,
)
from api.pagination import Page
from api.read_only import read_only

needs_blp = Blueprint("needs", __name__, url_prefix="/v1/needs", description="The needs vocabulary")
moods_blp = Blueprint(
    "moods", __name__, url_prefix="/v1/couple/moods", description="Moods and needs"
)


@needs_blp.route("")
class Needs(MethodView):
    @read_only
    @needs_blp.response(200, NeedSchema(many=True))
    def get(self) -> list[Row[Any]]:
        """The needs vocabulary in my locale (English where it has no translation)"""
        return service.get_vocabulary(db.session, user=current_user())


@moods_blp.route("")
class Moods(MethodView):
    @moods_blp.arguments(MoodCreateSchema())
    @moods_blp.response(201, MoodEntrySchema)
    @moods_blp.alt_response(200, schema=MoodEntrySchema, description="A replay of client_id")
    @moods_blp.alt_response(409, **problem_doc("client_id used by my partner"))
    def post(self, body: dict[str, Any]) -> tuple[MoodEntry, int]:
        """Say how I feel today and what would help; my partner sees it"""
        entry, created = service.create(
            db.session,
            couple=current_couple(),
            user=current_user(),
            mood=body["mood"],
            needs=body["needs"],
            note=body["note"],
            client_id=str(body["client_id"]),
        )
        return entry, 201 if created else 200

    @read_only
    @moods_blp.arguments(HistoryArgs(), location="query")
    @moods_blp.response(200, MoodPageSchema)
    def get(self, args: dict[str, Any]) -> Page:
        """Our mood history, newest first (`who`, `from`, `to` filter it)"""
        return service.history(
            db.session,
            couple=current_couple(),
            user=current_user(),
            who=args["who"],
            date_from=args["date_from"],
            date_to=args["date_to"],
            limit=args["limit"],
            cursor=args["cursor"],
        )


@moods_blp.route("/today")
class MoodsToday(MethodView):
    @read_only
    @moods_blp.response(200, MoodTodaySchema)
    def get(self) -> dict[str, service.MoodView | None]:
        """Each partner's latest entry of the couple's day"""
        return service.today(db.session, couple=current_couple(), user=current_user())


@moods_blp.route("/summary")
class MoodsSummary(MethodView):
    @read_only
    @moods_blp.arguments(SummaryArgs(), location="query")
    @moods_blp.response(200, MoodSummarySchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per partner and ISO week (the couple's zone): entries, mean mood, count per need"""
        return service.summary(
            db.session, couple=current_couple(), user=current_user(), weeks=args["weeks"]
        )
