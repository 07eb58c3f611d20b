"""Request and response shapes of /v1/couple/questions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import CalendarDay, Instant, Trimmed
from api.pagination import page_schema
from api.questions.models import ANSWER_MAX, DEPTHS


class AnswerInSchema(Schema):
    text = Trimmed(max_length=ANSWER_MAX, required=True)
    client_id = fields.UUID(required=True)


class LibraryQuestionSchema(Schema):
    slug = fields.String(required=True)
    text = fields.String(required=True)
    depth = fields.String(required=True, validate=validate.OneOf(DEPTHS))
    category = fields.String(required=True)
    # The language the text is in: the reader's, or en where the question has no translation.
    locale = fields.String(required=True)


class AnswerSchema(Schema):
    text = fields.String(required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)
    # The other partner's emoji on this answer.
    reaction = fields.String(required=True, allow_none=True)


class CoupleQuestionSchema(Schema):
    id = fields.Integer(required=True)
    local_date = CalendarDay(required=True)
    question = fields.Nested(LibraryQuestionSchema, required=True)
    my_answer = fields.Nested(AnswerSchema, required=True, allow_none=True)
    partner_answered = fields.Boolean(required=True)
    partner_answer = fields.Nested(
        AnswerSchema,
        required=True,
        allow_none=True,
        metadata={"description": "null until both partners have answered"},
    )
    revealed_at = Instant(required=True, allow_none=True)
    can_swap = fields.Boolean(
        required=True, metadata={"description": "today, not swapped yet, and nobody answered"}
    )


CoupleQuestionPageSchema = page_schema(CoupleQuestionSchema, "CoupleQuestionPage")
