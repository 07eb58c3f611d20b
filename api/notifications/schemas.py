"""Shapes of the in-app feed."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import MAX_BIG_ID, Instant
from api.pagination import page_schema


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    category = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    created_at = Instant(required=True)
    read_at = Instant(allow_none=True, required=True)


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


class MarkReadSchema(Schema):
    up_to_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_BIG_ID))
