"""Request and response shapes of /v1/invites and /v1/couple."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import CalendarDay, Instant, TimeZone, WallTime


class InviteSchema(Schema):
    code = fields.String(
        required=True,
        metadata={"description": "XXXX-XXXX, Crockford base32", "example": "7KQ4-M2ZD"},
    )
    expires_at = Instant(required=True)


class JoinSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "An invite code in any case, with or without the dash"},
    )


class PartnerSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    timezone = fields.String(required=True)


class CoupleSchema(Schema):
    id = fields.Integer(required=True)
    partners = fields.List(fields.Nested(PartnerSchema), required=True)
    paired_at = Instant(required=True)
    anniversary = CalendarDay(allow_none=True, required=True)
    timezone = fields.String(required=True)
    day_starts_at = WallTime(required=True, metadata={"example": "04:00"})
    question_time = WallTime(required=True, metadata={"example": "19:00"})


class CouplePatchSchema(Schema):
    """Only these; anything else (id, partners, paired_at, ...) is a 422."""

    anniversary = CalendarDay(
        allow_none=True, metadata={"description": "YYYY-MM-DD, not in the couple's future"}
    )
    timezone = TimeZone()
    day_starts_at = WallTime(metadata={"example": "04:00"})
    # When the daily question's reminder goes to a partner who has not answered (couple-local).
    question_time = WallTime(metadata={"example": "19:00"})
