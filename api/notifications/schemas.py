"""Shapes of the in-app feed."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.fields import Instant
from api.ids import MAX_BIG_ID, row_id_field
from api.notifications.payload import push_data
from api.pagination import PageArgs


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    category = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    # The same payload the push carried: category, notification_id, event and the ids.
    data = fields.Function(
        lambda n: push_data(category=n.category, notification_id=n.id, data=n.data),
        required=True,
        metadata={"type": "object", "additionalProperties": {"type": "string"}},
    )
    created_at = Instant(required=True)
    read_at = Instant(allow_none=True, required=True)


class NotificationPageSchema(Schema):
    """A page of the feed, with the count of everything unread (not only on this page)."""

    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    unread_count = fields.Integer(
        required=True, metadata={"description": "All my unread notifications, on every page"}
    )


class FeedArgs(PageArgs):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "true: only notifications not yet read"}
    )


class MarkReadSchema(Schema):
    up_to_id = row_id_field(required=True, maximum=MAX_BIG_ID)  # a BIGINT key
