"""Request and response shapes of /v1/devices."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, validate

from api.fields import Instant
from api.i18n import N_

PLATFORMS = ("ios", "android", "web")
# An FCM registration token is ~160 characters of [A-Za-z0-9_:-], an APNs device token 64 hex
# digits: anything shorter, or with spaces or other characters, is no token a phone was given.
TOKEN_MIN, TOKEN_MAX = 32, 4096
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_:.+/=-]+")
# What the list shows of a token at most: its ends, enough to tell two phones apart.
SHOWN_ENDS = 4


class PushToken(fields.String):
    """A push token as FCM or APNs hands it to the app: 32+ of [A-Za-z0-9_:.+/=-]."""

    default_error_messages = {
        "not_token": N_("Not a push token: send the token the phone's FCM SDK gave.")
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=validate.Length(min=TOKEN_MIN, max=TOKEN_MAX),
            metadata={"pattern": f"^{TOKEN_CHARS.pattern}$"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        token = super()._deserialize(value, attr, data, **kwargs)
        # fullmatch, not a Regexp validator: its $ lets a trailing newline through.
        if not TOKEN_CHARS.fullmatch(token):
            raise self.make_error("not_token")
        return token


class DeviceInSchema(Schema):
    token = PushToken(required=True)
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
    # A token stored before TOKEN_MIN was enforced may be short: its ends would be most of it.
    if len(token) < TOKEN_MIN:
        return "…"
    return f"{token[:SHOWN_ENDS]}…{token[-SHOWN_ENDS:]}"
