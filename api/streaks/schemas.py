"""Request and response shapes of check-ins, streaks and nudges."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.fields import CalendarDay, Instant, Trimmed
from api.pagination import PageArgs, page_schema


class CheckInInSchema(Schema):
    client_id = fields.UUID(required=True)
    local_date = CalendarDay(
        load_default=None,
        metadata={
            "description": (
                "The couple's day the check-in is for (YYYY-MM-DD): only today or yesterday "
                "(days begin at the couple's day_starts_at), and a scheduled day of the ritual; "
                "else 422. Defaults to today."
            )
        },
    )
    note = Trimmed(min_length=0, max_length=500, load_default=None, allow_none=True)


class CheckInSchema(Schema):
    id = fields.Integer(required=True)
    ritual_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    local_date = CalendarDay(required=True)
    note = fields.String(allow_none=True, required=True)
    client_id = fields.String(required=True)
    created_at = Instant(required=True)


CheckInPageSchema = page_schema(CheckInSchema, "CheckInPage")


class CheckInQuerySchema(PageArgs):
    from_ = CalendarDay(data_key="from", load_default=None)
    to = CalendarDay(load_default=None)


class StreakSchema(Schema):
    ritual_id = fields.Integer(required=True)
    current = fields.Integer(required=True)
    longest = fields.Integer(required=True)
    completed_today = fields.Boolean(required=True)
    at_risk = fields.Boolean(required=True)
    freezes_available = fields.Integer(required=True)
    last_completed_date = CalendarDay(allow_none=True, required=True)


class NudgeSchema(Schema):
    id = fields.Integer(required=True)
    ritual_id = fields.Integer(required=True)
    local_date = CalendarDay(required=True)
    created_at = Instant(required=True)
