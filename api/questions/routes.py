"""/v1/couple/questions: the couple's question of the day, answers, swap, reactions, history."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.affirmations.schemas import ReactionSchema
from api.auth import current_couple, current_user
from api.errors import problem_doc
from api.extensions import db
from api.pagination import Page, PageArgs
from api.questions import service
from api.questions.schemas import AnswerInSchema, CoupleQuestionPageSchema, CoupleQuestionSchema
from api.read_only import read_only

blp = Blueprint(
    "questions",
    __name__,
    url_prefix="/v1/couple/questions",
    description="The daily question, revealed when both have answered",
)

NOT_PAIRED = problem_doc("Not paired")
NO_QUESTION = problem_doc("Not paired, or no such question in my couple")


@blp.route("")
class History(MethodView):
    @read_only
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, CoupleQuestionPageSchema)
    @blp.alt_response(404, **NOT_PAIRED)
    def get(self, args: dict[str, Any]) -> Page:
        """Our past days' questions, newest first, with both answers where revealed"""
        return service.history(
            db.session,
            couple=current_couple(),
            user=current_user(),
            limit=args["limit"],
            cursor=args["cursor"],
        )


@blp.route("/today")
class Today(MethodView):
    # A day's first read chooses the question: service.today ends the autocommit before it does.
    @read_only
    @blp.response(200, CoupleQuestionSchema)
    @blp.alt_response(404, **problem_doc("Not paired, or the question library is empty"))
    def get(self) -> service.QuestionView:
        """Our question of today (the couple's day), in my language"""
        return service.today(db.session, couple=current_couple(), user=current_user())


@blp.route("/today/swap")
class Swap(MethodView):
    @blp.response(200, CoupleQuestionSchema)
    @blp.alt_response(404, **NOT_PAIRED)
    @blp.alt_response(409, **problem_doc("Already swapped today, or someone has answered"))
    def post(self) -> service.QuestionView:
        """Trade today's question for another (once a day, while nobody has answered)"""
        return service.swap(db.session, couple=current_couple(), user=current_user())


@blp.route("/<int:question_id>")
class OneQuestion(MethodView):
    @read_only
    @blp.response(200, CoupleQuestionSchema)
    @blp.alt_response(404, **NO_QUESTION)
    def get(self, question_id: int) -> service.QuestionView:
        """One of our days' questions (the id a push names)"""
        return service.get(
            db.session, couple=current_couple(), user=current_user(), question_id=question_id
        )


@blp.route("/<int:question_id>/answer")
class Answer(MethodView):
    @blp.arguments(AnswerInSchema())
    @blp.response(201, CoupleQuestionSchema)
    @blp.alt_response(200, schema=CoupleQuestionSchema, description="An edit, or a replay")
    @blp.alt_response(404, **NO_QUESTION)
    @blp.alt_response(
        409,
        **problem_doc(
            "My partner has answered (mine is final), the question is closed, or client_id"
            " used by my partner or on another question"
        ),
    )
    def put(self, body: dict[str, Any], question_id: int) -> tuple[service.QuestionView, int]:
        """Answer today's or yesterday's question, or edit my answer until my partner answers"""
        result, created = service.answer(
            db.session,
            couple=current_couple(),
            user=current_user(),
            question_id=question_id,
            text=body["text"],
            client_id=str(body["client_id"]),
        )
        return result, 201 if created else 200


@blp.route("/<int:question_id>/reaction")
class Reaction(MethodView):
    @blp.arguments(ReactionSchema())
    @blp.response(200, CoupleQuestionSchema)
    @blp.alt_response(404, **NO_QUESTION)
    @blp.alt_response(409, **problem_doc("Not revealed yet"))
    def put(self, body: dict[str, Any], question_id: int) -> service.QuestionView:
        """React with one emoji to my partner's revealed answer"""
        return service.react(
            db.session,
            couple=current_couple(),
            user=current_user(),
            question_id=question_id,
            emoji=body["emoji"],
        )
