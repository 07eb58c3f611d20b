"""Request and response shapes of /v1/ritual-templates and /v1/couple/rituals."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from api.fields import Instant, JsonBoolean, TimeZone, Trimmed, WallTime
from api.i18n import N_
from api.rituals.schedule import WEEKDAYS

COMPLETIONS = ("either", "both")
MAX_MINUTES_BEFORE = 1440
TITLE_MAX = 120
# Optional: a blank description is stored empty, as a memory's blank text is.
DESCRIPTION_MAX = 1000


def _no_repeats(days: list[str]) -> None:
    if len(set(days)) != len(days):
        raise ValidationError(N_("Name each day once."))


class ScheduleInSchema(Schema):
    """A schedule in a request; on POST a missing field comes from the template."""

    days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        validate=validate.Length(min=1, max=7),
        metadata={"description": 'Scheduled days, "mon".."sun", each at most once.'},
    )
    time = WallTime(metadata={"description": "Local wall-clock time, HH:MM (24-hour)."})
    timezone = TimeZone(
        allow_none=True,
        metadata={
            "description": (
                "An IANA time-zone name of the tz database (e.g. Europe/Berlin; unknown: 422) "
                "that the ritual keeps; omitted or null: the ritual follows the couple's zone."
            )
        },
    )

    @validates("days")
    def _days_once(self, value: list[str], **kwargs: object) -> None:
        _no_repeats(value)


class ReminderInSchema(Schema):
    enabled = JsonBoolean()
    # strict: 30.9 is a 422, not silently 30.
    minutes_before = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_MINUTES_BEFORE)
    )


class RitualCreateSchema(Schema):
    template_key = fields.String(validate=validate.Length(min=1, max=80))
    title = Trimmed(max_length=TITLE_MAX)
    description = Trimmed(min_length=0, max_length=DESCRIPTION_MAX)
    schedule = fields.Nested(ScheduleInSchema)
    reminder = fields.Nested(ReminderInSchema)
    completion = fields.String(validate=validate.OneOf(COMPLETIONS))
    paused = JsonBoolean()
    client_id = fields.UUID(
        required=True, metadata={"description": "Client-generated; a replay answers 200."}
    )


class RitualPatchSchema(Schema):
    title = Trimmed(max_length=TITLE_MAX)
    description = Trimmed(min_length=0, max_length=DESCRIPTION_MAX)
    schedule = fields.Nested(ScheduleInSchema)
    reminder = fields.Nested(ReminderInSchema)
    completion = fields.String(validate=validate.OneOf(COMPLETIONS))
    paused = JsonBoolean()


class ScheduleSchema(Schema):
    days = fields.List(fields.String(), required=True)
    time = WallTime(required=True)
    timezone = fields.String(required=True, metadata={"description": "The zone in force."})
    follows_couple = fields.Boolean(
        required=True, metadata={"description": "Whether the zone follows the couple's."}
    )


class TemplateScheduleSchema(Schema):
    days = fields.List(fields.String(), required=True)
    time = WallTime(required=True)


class ReminderSchema(Schema):
    enabled = fields.Boolean(required=True)
    minutes_before = fields.Integer(required=True)


class RitualTemplateSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    schedule = fields.Nested(TemplateScheduleSchema, required=True)
    completion = fields.String(required=True)
    reminder = fields.Nested(ReminderSchema, required=True)


class RitualSchema(Schema):
    id = fields.Integer(required=True)
    template_key = fields.String(allow_none=True, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    schedule = fields.Nested(ScheduleSchema, required=True)
    reminder = fields.Nested(ReminderSchema, required=True)
    completion = fields.String(required=True)
    paused = fields.Boolean(required=True)
    client_id = fields.String(required=True)
    created_by_id = fields.Integer(allow_none=True, required=True)
    created_at = Instant(required=True)
    next_occurrence_at = Instant(
        allow_none=True,
        required=True,
        metadata={"description": "The next occurrence after now; null while paused."},
    )
    next_reminder_at = Instant(
        allow_none=True,
        required=True,
        metadata={"description": "When the next reminder goes out; null when none will."},
    )
