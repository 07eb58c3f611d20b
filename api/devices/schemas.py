"""Request and response shapes of /v1/devices."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import Instant

PLATFORMS = ("ios", "android", "web")


class DeviceInSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.String(validate=validate.Length(max=32), allow_none=True)


class DeviceSchema(Schema):
    id = fields.Integer(required=True)
    token = fields.Function(lambda d: mask(d.token), required=True, metadata={"type": "string"})
    platform = fields.String(required=True)
    app_version = fields.String(allow_none=True, required=True)
    created_at = Instant(required=True)
    last_seen_at = Instant(required=True)


def mask(token: str) -> str:
    """Enough of a token to tell two phones apart, never enough to push to it."""
    if len(token) <= 12:
        return "…" + token[-2:]
    return f"{token[:4]}…{token[-4:]}"
