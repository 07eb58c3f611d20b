"""Request and response shapes of /v1/couple/memories."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import CalendarDay, Instant, Trimmed
from api.i18n import N_
from api.memories.models import TEXT_MAX, TITLE_MAX
from api.memories.service import DECLARABLE_TYPES, MAX_PHOTO_BYTES
from api.pagination import page_schema


class MemoryCreateSchema(Schema):
    title = Trimmed(min_length=1, max_length=TITLE_MAX, required=True)
    happened_on = CalendarDay(
        required=True, metadata={"description": "YYYY-MM-DD, not in the couple's future"}
    )
    text = Trimmed(min_length=0, max_length=TEXT_MAX, allow_none=True, load_default=None)
    client_id = fields.UUID(required=True)


class MemoryPatchSchema(Schema):
    title = Trimmed(min_length=1, max_length=TITLE_MAX)
    happened_on = CalendarDay()
    text = Trimmed(min_length=0, max_length=TEXT_MAX, allow_none=True)

    @validates_schema
    def _something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError(N_("Send at least one of title, happened_on, text."), "_schema")


class PhotoSchema(Schema):
    id = fields.Integer(required=True)
    content_type = fields.String(
        required=True, metadata={"description": "Sniffed from the stored bytes"}
    )
    size_bytes = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "Short-lived download URL"})
    url_expires_at = Instant(required=True)
    created_at = Instant(required=True)


class MemorySchema(Schema):
    id = fields.Integer(required=True)
    author_id = fields.Integer(required=True)
    title = fields.String(required=True)
    text = fields.String(required=True, allow_none=True)
    happened_on = CalendarDay(required=True)
    client_id = fields.String(required=True)
    photos = fields.List(fields.Nested(PhotoSchema), required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)


MemoryPageSchema = page_schema(MemorySchema, "MemoryPage")


class MediaType(fields.String):
    """A media type, compared case-insensitively as RFC 9110 says (IMAGE/JPEG is image/jpeg)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class UploadRequestSchema(Schema):
    content_type = MediaType(required=True, validate=validate.OneOf(DECLARABLE_TYPES))
    size_bytes = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_PHOTO_BYTES),
        metadata={"description": "At most 10 MB"},
    )


class UploadSchema(Schema):
    id = fields.Integer(required=True)
    upload_url = fields.String(required=True)
    upload_method = fields.String(required=True, metadata={"example": "PUT"})
    upload_headers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Send these headers with the upload, as given"},
    )
    expires_at = Instant(required=True)
