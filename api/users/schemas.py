"""Request and response shapes of /v1/me."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import Instant, TimeZone, WallTime
from api.i18n import N_
from api.notifications.categories import PREFERENCES

LOCALE = validate.Regexp(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error=N_("Use a BCP 47 tag like en or es-MX.")
)


class QuietHoursSchema(Schema):
    start = WallTime(required=True)
    end = WallTime(required=True)

    @validates_schema
    def _not_empty(self, data: dict, **kwargs: object) -> None:
        if data.get("start") == data.get("end"):
            raise ValidationError(N_("start and end must differ."), "end")


PreferencesSchema = Schema.from_dict(
    {name: fields.Boolean(required=True) for name in PREFERENCES}, name="Preferences"
)
PreferencesPatchSchema = Schema.from_dict(
    {name: fields.Boolean() for name in PREFERENCES}, name="PreferencesPatch"
)


class MeSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    timezone = fields.String(required=True)
    locale = fields.String(required=True)
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True, required=True)
    notification_preferences = fields.Nested(PreferencesSchema, required=True)
    couple_id = fields.Integer(allow_none=True, required=True)
    created_at = Instant(required=True)


class MePatchSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=80))
    timezone = TimeZone()
    # At most 16 characters: the users.locale column (PostgreSQL refuses longer, with a 500).
    locale = fields.String(validate=[validate.Length(max=16), LOCALE])
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    notification_preferences = fields.Nested(PreferencesPatchSchema)
