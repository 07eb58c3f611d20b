"""Request and response shapes of the affirmations and gratitude endpoints."""

from __future__ import annotations

from typing import Any

import emoji
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from api.affirmations.models import TEXT_MAX
from api.content.loader import AFFIRMATION_CATEGORIES
from api.fields import Instant, Trimmed
from api.i18n import N_
from api.ids import row_id_field
from api.pagination import PageArgs, page_schema


class AffirmationSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    category = fields.String(required=True)
    locale = fields.String(required=True)
    text = fields.String(required=True)


AffirmationPageSchema = page_schema(AffirmationSchema, "AffirmationPage")


class LibraryArgs(PageArgs):
    category = fields.String(validate=validate.OneOf(AFFIRMATION_CATEGORIES), load_default=None)


class SendSchema(Schema):
    affirmation_id = row_id_field()
    text = Trimmed(max_length=TEXT_MAX)
    client_id = fields.UUID(required=True)

    @validates_schema
    def _one_source(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "affirmation_id" in data and "text" in data:
            raise ValidationError(N_("Send either affirmation_id or text, not both."), "_schema")
        if "affirmation_id" not in data and "text" not in data:
            raise ValidationError(N_("Send affirmation_id or text: one is required."), "_schema")


class LibraryRefSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    category = fields.String(required=True)


class MessageSchema(Schema):
    id = fields.Integer(required=True)
    sender_id = fields.Integer(required=True, allow_none=True)
    recipient_id = fields.Integer(required=True)
    # The library item it came from; null for the sender's own words.
    affirmation = fields.Nested(LibraryRefSchema, required=True, allow_none=True)
    text = fields.String(required=True)
    client_id = fields.String(required=True)
    read_at = Instant(required=True, allow_none=True)
    reaction = fields.String(required=True, allow_none=True)
    created_at = Instant(required=True)


MessagePageSchema = page_schema(MessageSchema, "AffirmationMessagePage")


class BoxArgs(PageArgs):
    box = fields.String(validate=validate.OneOf(("received", "sent")), load_default="received")


class ReactionSchema(Schema):
    # The length bound is generous (the longest emoji sequence, a kiss with skin tones,
    # is 10 code points); the emoji package decides "exactly one".
    emoji = fields.String(
        required=True,
        validate=validate.Length(min=1, max=16),
        metadata={
            "description": "Exactly one emoji (a skin tone, ZWJ sequence or flag is one).",
            "example": "❤️",
        },
    )

    @validates("emoji")
    def _one_emoji(self, value: str, **kwargs: Any) -> None:
        # The emoji package knows every sequence (skin tones, ZWJ families, flags, keycaps).
        if not emoji.is_emoji(value):
            raise ValidationError(N_("Send exactly one emoji."))


class GratitudeCreateSchema(Schema):
    text = Trimmed(max_length=TEXT_MAX, required=True)
    client_id = fields.UUID(required=True)


class GratitudeSchema(Schema):
    id = fields.Integer(required=True)
    # null once the author erased their account.
    author_id = fields.Integer(required=True, allow_none=True)
    text = fields.String(required=True)
    client_id = fields.String(required=True)
    created_at = Instant(required=True)


GratitudePageSchema = page_schema(GratitudeSchema, "GratitudePage")
