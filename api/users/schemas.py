"""Request and response shapes of /v1/me."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import Instant, JsonBoolean, TimeZone, Trimmed, WallTime
from api.i18n import N_
from api.notifications.categories import PREFERENCES

LOCALE = validate.Regexp(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$", error=N_("Use a BCP 47 tag like en or es-MX.")
)


# RFC 5646 (4.4.1): a tag store should take at least 35 characters. iOS sends tags with a
# region extension when the region differs from the language's (es-ES-u-rg-mxzzzz: 17).
LOCALE_MAX = 35


def canonical_locale(tag: str) -> str:
    """A BCP 47 tag in its canonical case, ``_`` read as ``-``: es_ES -> es-ES, EN-us -> en-US.

    Everything from the first singleton on (an extension ``u-``, private use ``x-``) is lower
    case: es-U-RG-MXZZZZ -> es-u-rg-mxzzzz (RFC 5646, 2.1.1).
    """
    parts = tag.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for index, part in enumerate(parts[1:], start=1):
        if len(part) == 1:
            out.extend(p.lower() for p in parts[index:])
            break
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # script: Latn, Hant
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())  # region: ES, US, 419
        else:
            out.append(part.lower())  # variants and extensions
    return "-".join(out)


class LocaleTag(fields.String):
    """A BCP 47 language tag, case-insensitive and with ``_`` accepted, stored canonical."""

    def _deserialize(self, value: object, attr: object, data: object, **kwargs: object) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        return canonical_locale(raw)


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
    {name: JsonBoolean() for name in PREFERENCES}, name="PreferencesPatch"
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
    display_name = Trimmed(max_length=80)
    timezone = TimeZone()
    locale = LocaleTag(
        validate=[validate.Length(max=LOCALE_MAX), LOCALE],
        metadata={"description": "BCP 47, any case, _ or -: es_ES is stored as es-ES."},
    )
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    notification_preferences = fields.Nested(PreferencesPatchSchema)
