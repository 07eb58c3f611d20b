"""/v1/couple/memories: the couple's timeline, and photos through object storage."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_couple, current_user
from api.errors import problem_doc, unavailable_doc
from api.extensions import db
from api.memories import service
from api.memories.schemas import (
    MemoryCreateSchema,
    MemoryPageSchema,
    MemoryPatchSchema,
    MemorySchema,
    PhotoSchema,
    UploadRequestSchema,
    UploadSchema,
)
from api.pagination import PageArgs
from api.read_only import read_only
from api.storage import get_storage

blp = Blueprint(
    "memories",
    __name__,
    url_prefix="/v1/couple/memories",
    description='Shared memories with photos ("remember when")',
)

NOT_FOUND = problem_doc("Not paired, or no such memory in my couple")


@blp.route("")
class Memories(MethodView):
    @blp.arguments(MemoryCreateSchema())
    @blp.response(201, MemorySchema)
    @blp.alt_response(200, schema=MemorySchema, description="A replay of client_id")
    @blp.alt_response(404, **problem_doc("Not paired, or a replay of a memory deleted since"))
    @blp.alt_response(409, **problem_doc("client_id used by my partner"))
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Add a memory to our timeline"""
        memory, created = service.create(
            db.session,
            couple=current_couple(),
            author=current_user(),
            title=body["title"],
            happened_on=body["happened_on"],
            text=body["text"],
            client_id=str(body["client_id"]),
        )
        return service.present(get_storage(), memory), 201 if created else 200

    @read_only
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, MemoryPageSchema)
    @blp.alt_response(404, **problem_doc("Not paired"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Our memories, by happened_on, newest first"""
        page = service.timeline(
            db.session, couple=current_couple(), limit=args["limit"], cursor=args["cursor"]
        )
        storage = get_storage()
        return {
            "items": [service.present(storage, m) for m in page.items],
            "next_cursor": page.next_cursor,
        }


@blp.route("/<int:memory_id>")
class MemoryItem(MethodView):
    @read_only
    @blp.response(200, MemorySchema)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, memory_id: int) -> dict[str, Any]:
        """One memory with its photos"""
        memory = service.get(db.session, couple=current_couple(), memory_id=memory_id)
        return service.present(get_storage(), memory)

    @blp.arguments(MemoryPatchSchema())
    @blp.response(200, MemorySchema)
    @blp.alt_response(404, **NOT_FOUND)
    def patch(self, changes: dict[str, Any], memory_id: int) -> dict[str, Any]:
        """Edit a memory (either partner)"""
        memory = service.update(
            db.session, couple=current_couple(), memory_id=memory_id, changes=changes
        )
        return service.present(get_storage(), memory)

    @blp.response(204)
    @blp.alt_response(403, **problem_doc("Only the author deletes a memory"))
    @blp.alt_response(404, **NOT_FOUND)
    def delete(self, memory_id: int) -> None:
        """Delete a memory I wrote, with its photos"""
        service.delete_memory(
            db.session, couple=current_couple(), user=current_user(), memory_id=memory_id
        )


@blp.route("/<int:memory_id>/photos")
class Photos(MethodView):
    @blp.arguments(UploadRequestSchema())
    @blp.response(201, UploadSchema)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(409, **problem_doc("The memory already has 10 photos"))
    def post(self, body: dict[str, Any], memory_id: int) -> service.NewUpload:
        """Start a photo upload: a short-lived presigned URL to send the bytes to"""
        return service.start_upload(
            db.session,
            storage=get_storage(),
            couple=current_couple(),
            memory_id=memory_id,
            content_type=body["content_type"],
            size_bytes=body["size_bytes"],
        )


@blp.route("/<int:memory_id>/photos/<int:photo_id>/complete")
class PhotoComplete(MethodView):
    @blp.response(200, PhotoSchema)
    @blp.alt_response(404, **problem_doc("No such photo in my couple's memory"))
    @blp.alt_response(409, **problem_doc("Nothing was uploaded yet"))
    @blp.alt_response(
        422, **problem_doc("Not JPEG/PNG/HEIC/WebP, over 10 MB or not the size declared: deleted")
    )
    @blp.alt_response(503, **unavailable_doc("Storage cannot be reached"))
    def post(self, memory_id: int, photo_id: int) -> dict[str, Any]:
        """Confirm an upload: the stored object is checked, then listed"""
        storage = get_storage()
        photo = service.complete_upload(
            db.session,
            storage=storage,
            couple=current_couple(),
            memory_id=memory_id,
            photo_id=photo_id,
        )
        return service.present_photo(storage, photo)


@blp.route("/<int:memory_id>/photos/<int:photo_id>")
class PhotoItem(MethodView):
    @blp.response(204)
    @blp.alt_response(404, **problem_doc("No such photo in my couple's memory"))
    def delete(self, memory_id: int, photo_id: int) -> None:
        """Delete a photo (either partner), and its stored object"""
        service.delete_photo(
            db.session, couple=current_couple(), memory_id=memory_id, photo_id=photo_id
        )
