"""Request and response shapes of the needs and moods endpoints."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import CalendarDay, Instant, QueryInteger, Trimmed
from api.i18n import N_
from api.moods.models import MAX_NEEDS, NOTE_MAX
from api.pagination import PageArgs, page_schema


class NeedSchema(Schema):
    slug = fields.String(required=True)
    label = fields.String(required=True)
    suggestion = fields.String(required=True)


class MoodCreateSchema(Schema):
    mood = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    needs = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        load_default=list,
        validate=validate.Length(max=MAX_NEEDS),
    )
    note = Trimmed(max_length=NOTE_MAX, load_default=None, allow_none=True)
    client_id = fields.UUID(required=True)


class MoodEntrySchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    # The couple's day it counts for (day_starts_at in the couple's zone).
    local_date = CalendarDay(required=True)
    mood = fields.Integer(required=True)
    needs = fields.List(fields.String(), required=True)
    note = fields.String(required=True, allow_none=True)
    client_id = fields.String(required=True)
    created_at = Instant(required=True)


MoodPageSchema = page_schema(MoodEntrySchema, "MoodEntryPage")


class MoodTodaySchema(Schema):
    me = fields.Nested(MoodEntrySchema, required=True, allow_none=True)
    partner = fields.Nested(MoodEntrySchema, required=True, allow_none=True)


class HistoryArgs(PageArgs):
    who = fields.String(validate=validate.OneOf(("me", "partner")), load_default=None)
    date_from = CalendarDay(data_key="from", load_default=None)
    date_to = CalendarDay(data_key="to", load_default=None)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["date_from"] and data["date_to"] and data["date_from"] > data["date_to"]:
            raise ValidationError(N_("`from` must not be after `to`."), "from")


class SummaryArgs(Schema):
    weeks = QueryInteger(load_default=4, validate=validate.Range(min=1, max=12))


class PartnerWeekSchema(Schema):
    who = fields.String(required=True)
    user_id = fields.Integer(required=True)
    entries = fields.Integer(required=True)
    mean_mood = fields.Float(required=True, allow_none=True)
    needs = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class WeekSummarySchema(Schema):
    week = fields.String(required=True)
    starts_on = CalendarDay(required=True)
    ends_on = CalendarDay(required=True)
    partners = fields.List(fields.Nested(PartnerWeekSchema), required=True)


class MoodSummarySchema(Schema):
    weeks = fields.List(fields.Nested(WeekSummarySchema), required=True)
