"""Response shapes of the weekly recap (one nested schema per section)."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.fields import CalendarDay
from api.pagination import PageArgs


class RitualWeekSchema(Schema):
    ritual_id = fields.Integer(required=True)
    title = fields.String(required=True)
    scheduled_days = fields.Integer(required=True)
    completed_days = fields.Integer(required=True)
    # The streak at the week's end: the live one for the week in progress; for a past week the
    # one recorded as it ended (null when none was: weeks before this release).
    streak = fields.Integer(required=True, allow_none=True)


class AffirmationWaySchema(Schema):
    from_user_id = fields.Integer(required=True)
    to_user_id = fields.Integer(required=True)
    count = fields.Integer(required=True)


class PartnerCountSchema(Schema):
    user_id = fields.Integer(required=True)
    count = fields.Integer(required=True)


class PartnerMoodSchema(Schema):
    user_id = fields.Integer(required=True)
    entries = fields.Integer(required=True)
    mean_mood = fields.Float(required=True, allow_none=True)
    top_needs = fields.List(fields.String(), required=True)


class RecapSchema(Schema):
    week = fields.String(required=True, metadata={"example": "2026-W10"})
    starts_on = CalendarDay(required=True)
    ends_on = CalendarDay(required=True)
    # The current week: the recap so far.
    in_progress = fields.Boolean(required=True)
    rituals = fields.List(fields.Nested(RitualWeekSchema), required=True)
    affirmations = fields.List(fields.Nested(AffirmationWaySchema), required=True)
    gratitude = fields.List(fields.Nested(PartnerCountSchema), required=True)
    moods = fields.List(fields.Nested(PartnerMoodSchema), required=True)
    # Days whose daily question both partners answered (so it was revealed).
    questions_answered_together = fields.Integer(required=True)
    # Shared memories written during the week (whatever day they remember).
    memories_added = fields.Integer(required=True)


class RecapPageSchema(Schema):
    items = fields.List(fields.Nested(RecapSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


RecapPageArgs = PageArgs
