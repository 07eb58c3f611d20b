"""Use cases of memories: the timeline, photos through object storage, deletion everywhere."""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, bindparam, delete, event, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency, queue
from api.clock import now
from api.db_json import as_instant, decode, json_rows
from api.db_utils import execute_core, for_update_skip_locked, unique_violation
from api.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from api.extensions import UTCDateTime
from api.i18n import N_
from api.lifecycle import couples_purging, user_erasing
from api.memories import on_this_day
from api.memories.models import (
    PHOTO_PENDING,
    PHOTO_READY,
    Memory,
    MemoryPhoto,
    StorageDeletion,
    month_day,
)
from api.pagination import Keyset, Page, PagedSelect, fetch_rows, paged
from api.pairing.models import Couple
from api.storage import SNIFF_BYTES, Storage, StorageError, sniff
from api.streaks.days import in_couple_future
from api.tombstones import service as tombstones
from api.users.models import User
from api.users.service import lock_own_account

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 10
DECLARABLE_TYPES = ("image/jpeg", "image/png", "image/heic", "image/webp")
UPLOAD_EXPIRES = timedelta(minutes=15)
DOWNLOAD_EXPIRES = timedelta(minutes=15)
# Pending uploads nobody confirmed are removed (row and object) after this long.
UNCONFIRMED_AFTER = timedelta(days=1)
DELETE_JOB = "workers.memories_jobs.delete_stored_objects"
# The upload URL writes under this prefix; confirming copies the bytes to the photo's own key,
# which no URL can write, and checks that copy: an upload URL still valid after the check (it
# lives 15 minutes) cannot replace the checked photo with anything else.
INCOMING = "incoming/"
_DELETIONS_KEY = "hearth_storage_deletions"


class AuthorOnly(DomainError):
    status = 403
    title = N_("Only the author can delete this memory")


class TooManyPhotos(Conflict):
    title = N_("Too many photos")


class UploadMissing(Conflict):
    title = N_("Nothing uploaded yet")


class StorageUnavailable(Unavailable):
    title = N_("Storage unavailable")


# -- the timeline ---------------------------------------------------------------------------------


def _check_not_future(session: Session, couple: Couple, happened_on: date) -> None:
    if in_couple_future(session, couple, happened_on, now()):
        raise Invalid("happened_on", N_("A memory cannot be in the future."))


@functools.cache
def _in_couple_statement(lock: bool) -> Select[tuple[Memory]]:
    """The memory by ``memory_id`` in the couple ``couple_id`` (bound), built once."""
    stmt = select(Memory).where(
        Memory.id == bindparam("memory_id"), Memory.couple_id == bindparam("couple_id")
    )
    return stmt.with_for_update() if lock else stmt


def _in_couple(session: Session, *, couple: Couple, memory_id: int, lock: bool = False) -> Memory:
    params = {"memory_id": memory_id, "couple_id": couple.id}
    memory = session.scalar(_in_couple_statement(lock), params)
    if memory is None:
        raise NotFound(N_("No such memory."))
    return memory


@dataclass(slots=True)
class PhotoView:
    """A listed photo as the reads answer it (present_photo reads these, as of a MemoryPhoto)."""

    id: int
    key: str
    content_type: str
    size_bytes: int
    created_at: datetime


@dataclass(slots=True)
class MemoryView:
    """A memory as the reads answer it: its columns and its listed photos, by id."""

    id: int
    author_id: int
    title: str
    text: str | None
    happened_on: date
    client_id: str
    created_at: datetime
    updated_at: datetime
    photos: list[PhotoView]


_MEMORIES = Memory.__table__.c
_PHOTOS = MemoryPhoto.__table__.c


def _memory_columns(dialect: str) -> list[Any]:
    """A memory's columns and its listed photos as a JSON column: one SELECT of table columns
    (Core), no ORM entity loaded, no second query for the photos."""
    photos = json_rows(
        dialect,
        [_PHOTOS.id, _PHOTOS.key, _PHOTOS.content_type, _PHOTOS.size_bytes, _PHOTOS.created_at],
        _PHOTOS.memory_id == _MEMORIES.id,
        _PHOTOS.status == PHOTO_READY,
        own=[MemoryPhoto.__table__],
    )
    return [
        _MEMORIES.id,
        _MEMORIES.author_id,
        _MEMORIES.title,
        _MEMORIES.text,
        _MEMORIES.happened_on,
        _MEMORIES.client_id,
        _MEMORIES.created_at,
        _MEMORIES.updated_at,
        photos,
    ]


def _memory_view(row: Any) -> MemoryView:
    photos = decode(row[8])
    if len(photos) > 1:
        photos.sort(key=itemgetter(0))  # the aggregate promises no order: by id, as listed
    return MemoryView(
        *row[:8],
        [
            PhotoView(photo_id, key, content_type, size_bytes, as_instant(created_at))
            for photo_id, key, content_type, size_bytes, created_at in photos
        ],
    )


@functools.cache
def _get_statement(dialect: str) -> Select[Any]:
    """get's SELECT, built once per dialect: bound ``memory_id`` and ``couple_id``."""
    return select(*_memory_columns(dialect)).where(
        _MEMORIES.id == bindparam("memory_id"), _MEMORIES.couple_id == bindparam("couple_id")
    )


def get(session: Session, *, couple: Couple, memory_id: int) -> MemoryView:
    """One memory of the couple with its listed photos (one SELECT); 404 for any other."""
    params = {"memory_id": memory_id, "couple_id": couple.id}
    statement = _get_statement(session.get_bind().dialect.name)
    row = execute_core(session, statement, params).first()
    if row is None:
        raise NotFound(N_("No such memory."))
    return _memory_view(row)


# The tombstones' name for a deleted memory.
MEMORY = "memory"


def create(
    session: Session,
    *,
    couple: Couple,
    author: User,
    title: str,
    happened_on: date,
    text: str | None,
    client_id: str,
) -> tuple[MemoryView, bool]:
    """Add a memory to the couple's timeline; (memory, created). A replay answers the original."""
    existing = idempotency.replayed(
        session, Memory.author_id, couple_id=couple.id, client_id=client_id, user_id=author.id
    )
    if existing is not None:
        return get(session, couple=couple, memory_id=existing.id), False
    if tombstones.buried(session, couple_id=couple.id, kind=MEMORY, client_id=client_id):
        raise NotFound(N_("No such memory."))  # a late replay of a memory deleted since
    _check_not_future(session, couple, happened_on)
    lock_own_account(session, author)  # an erasure under way: waited for, then 401
    moment = now()
    memory = Memory(
        couple_id=couple.id,
        author_id=author.id,
        title=title,
        text=text,
        happened_on=happened_on,
        happened_md=month_day(happened_on),
        client_id=client_id,
        created_at=moment,
        updated_at=moment,
    )
    session.add(memory)
    try:
        session.flush()
    except IntegrityError as exc:
        if not unique_violation(exc):
            raise  # a row it names was deleted meanwhile: api/errors.py answers
        # The same client_id raced in from a retry: answer with the memory that won.
        session.rollback()
        return create(
            session,
            couple=couple,
            author=author,
            title=title,
            happened_on=happened_on,
            text=text,
            client_id=client_id,
        )
    on_this_day.refresh(session, couple=couple, moment=moment)
    session.commit()
    return get(session, couple=couple, memory_id=memory.id), True


def update(
    session: Session, *, couple: Couple, memory_id: int, changes: dict[str, Any]
) -> MemoryView:
    """Edit title, text or happened_on; either partner may."""
    memory = _in_couple(session, couple=couple, memory_id=memory_id)
    if "happened_on" in changes:
        _check_not_future(session, couple, changes["happened_on"])
        memory.happened_on = changes["happened_on"]
        memory.happened_md = month_day(changes["happened_on"])
    for key in ("title", "text"):
        if key in changes:
            setattr(memory, key, changes[key])
    memory.updated_at = now()
    session.flush()
    if "happened_on" in changes:
        on_this_day.refresh(session, couple=couple)
    session.commit()
    return get(session, couple=couple, memory_id=memory_id)


def delete_memory(session: Session, *, couple: Couple, user: User, memory_id: int) -> None:
    """Delete a memory and its stored photos; only its author may (partner: 403)."""
    # Locked as start_upload locks it: a photo added between queueing the keys and the
    # DELETE would go by cascade with its key never queued, its object kept for ever.
    memory = _in_couple(session, couple=couple, memory_id=memory_id, lock=True)
    if memory.author_id != user.id:
        raise AuthorOnly(N_("Only the author can delete this memory."))
    forget_objects(session, MemoryPhoto.memory_id == memory.id)
    tombstones.bury(session, couple_id=couple.id, kind=MEMORY, client_id=memory.client_id)
    session.delete(memory)
    session.flush()
    on_this_day.refresh(session, couple=couple)
    session.commit()


# Cursor {"d": happened_on, "i": id}; the row value (happened_on, id) < (d, i) walks the
# timeline's index (couple_id, happened_on, id).
TIMELINE = Keyset((_MEMORIES.happened_on, _MEMORIES.id), ("d", "i"), row_value=True)


@functools.cache
def _timeline_statement(dialect: str) -> PagedSelect:
    """timeline's SELECT, built once per dialect: bound ``couple_id``."""
    stmt = select(*_memory_columns(dialect)).where(_MEMORIES.couple_id == bindparam("couple_id"))
    return paged(stmt, TIMELINE)


def timeline(session: Session, *, couple: Couple, limit: int, cursor: str | None) -> Page:
    """One page of the couple's memories, newest happened_on first, with their listed photos
    (one SELECT, any length)."""
    params = {"couple_id": couple.id}
    statement = _timeline_statement(session.get_bind().dialect.name)
    return fetch_rows(session, statement, params, _memory_view, limit=limit, cursor=cursor)


# -- photos ----------------------------------------------------------------------------------


@dataclass
class NewUpload:
    """What the phone needs to upload one photo."""

    id: int
    upload_url: str
    upload_method: str
    upload_headers: dict[str, str]
    expires_at: datetime


def start_upload(
    session: Session,
    *,
    storage: Storage,
    couple: Couple,
    memory_id: int,
    content_type: str,
    size_bytes: int,
) -> NewUpload:
    """Reserve a photo slot and hand out a presigned PUT for it (at most 10 per memory)."""
    # Locked: two uploads started at once must not both take the tenth slot.
    memory = _in_couple(session, couple=couple, memory_id=memory_id, lock=True)
    taken = session.scalar(
        select(func.count()).select_from(MemoryPhoto).where(MemoryPhoto.memory_id == memory.id)
    )
    if (taken or 0) >= MAX_PHOTOS:
        raise TooManyPhotos(N_("A memory holds at most %(limit)s photos."), limit=MAX_PHOTOS)
    key = f"memories/{couple.id}/{memory.id}/{secrets.token_urlsafe(18)}"
    photo = MemoryPhoto(
        memory_id=memory.id,
        key=key,
        content_type=content_type,
        size_bytes=size_bytes,
        status=PHOTO_PENDING,
        created_at=now(),
    )
    session.add(photo)
    session.flush()
    upload = storage.presign_upload(
        incoming_key(key),
        content_type=content_type,
        size_bytes=size_bytes,
        expires_in=int(UPLOAD_EXPIRES.total_seconds()),
    )
    session.commit()
    return NewUpload(
        id=photo.id,
        upload_url=upload.url,
        upload_method=upload.method,
        upload_headers=upload.headers,
        expires_at=photo.created_at + UPLOAD_EXPIRES,
    )


def _photo_in_couple(
    session: Session, *, couple: Couple, memory_id: int, photo_id: int
) -> MemoryPhoto:
    photo = session.scalar(
        select(MemoryPhoto)
        .join(Memory, Memory.id == MemoryPhoto.memory_id)
        .where(
            MemoryPhoto.id == photo_id,
            MemoryPhoto.memory_id == memory_id,
            Memory.couple_id == couple.id,
        )
        .with_for_update(of=MemoryPhoto)
    )
    if photo is None:
        raise NotFound(N_("No such photo."))
    return photo


def complete_upload(
    session: Session, *, storage: Storage, couple: Couple, memory_id: int, photo_id: int
) -> MemoryPhoto:
    """Check the stored object (size, type from its first bytes) and list the photo.

    An object that fails the check is deleted, with its row, and the answer is 422.
    """
    photo = _photo_in_couple(session, couple=couple, memory_id=memory_id, photo_id=photo_id)
    if photo.status == PHOTO_READY:
        return photo  # a retried confirmation
    try:
        storage.copy(incoming_key(photo.key), photo.key)
        # The copy's size; or, for a photo started before incoming keys existed, that of the
        # upload made straight to its own key; None when nothing was uploaded.
        size = storage.size(photo.key)
        head = storage.first_bytes(photo.key, SNIFF_BYTES) if size else b""
    except StorageError as exc:
        log.warning("storage unavailable while confirming photo %s: %s", photo.id, exc)
        raise StorageUnavailable(N_("Photo storage cannot be reached; try again shortly.")) from exc
    if size is None:
        raise UploadMissing(N_("Upload the photo to upload_url first."))
    problem: Invalid | None = None
    kind = sniff(head)
    if size > MAX_PHOTO_BYTES:
        problem = Invalid(
            "size_bytes",
            N_("A photo is at most %(max_bytes)s bytes (10 MB)."),
            max_bytes=MAX_PHOTO_BYTES,
        )
    elif size != photo.size_bytes:
        problem = Invalid("size_bytes", N_("The uploaded photo is not the size declared."))
    elif kind is None:
        problem = Invalid(
            "content_type", N_("The uploaded file is not a JPEG, PNG, HEIC or WebP image.")
        )
    if problem is not None:
        forget_objects(session, MemoryPhoto.id == photo.id)
        session.delete(photo)
        session.commit()
        raise problem
    assert kind is not None
    forget_objects(session, MemoryPhoto.id == photo.id, keep_photo=True)  # the uploaded copy
    photo.content_type = kind  # what the bytes are, not what the phone said
    photo.status = PHOTO_READY
    photo.confirmed_at = now()
    session.commit()
    return photo


def delete_photo(session: Session, *, couple: Couple, memory_id: int, photo_id: int) -> None:
    """Remove a photo (listed or pending) and its stored object; either partner may."""
    photo = _photo_in_couple(session, couple=couple, memory_id=memory_id, photo_id=photo_id)
    forget_objects(session, MemoryPhoto.id == photo.id)
    session.delete(photo)
    session.commit()


def download_url(storage: Storage, photo: MemoryPhoto | PhotoView) -> tuple[str, datetime]:
    """A short-lived URL reading the photo, and when it stops working."""
    url = storage.download_url(
        photo.key,
        content_type=photo.content_type,
        expires_in=int(DOWNLOAD_EXPIRES.total_seconds()),
    )
    return url, now() + DOWNLOAD_EXPIRES


# -- deleting stored objects: the outbox -------------------------------------------------------


def incoming_key(key: str) -> str:
    """Where a photo's upload URL writes its bytes, before they are checked and copied to key."""
    return INCOMING + key


def forget_objects(session: Session, *where: Any, keep_photo: bool = False) -> None:
    """Queue the objects of the photos matching where for deletion (in the caller's transaction).

    Each photo's own object (unless keep_photo: a confirmation keeps it) and, while it is
    pending, its uploaded copy under incoming_key. A few INSERT ... SELECT, whatever the
    number. A pending photo whose upload URL still works gets a second deletion of its
    incoming object when the URL expires: an upload landing after the first would otherwise
    stay in the store for ever.
    """
    moment = now()
    photos = select(MemoryPhoto).join(Memory, Memory.id == MemoryPhoto.memory_id).where(*where)
    pending = photos.where(MemoryPhoto.status == PHOTO_PENDING)
    incoming = literal(INCOMING) + MemoryPhoto.key
    late = moment + UPLOAD_EXPIRES + timedelta(minutes=1)
    url_still_works = MemoryPhoto.created_at > moment - UPLOAD_EXPIRES
    sources = [
        pending.with_only_columns(incoming, _value(moment)),
        pending.where(url_still_works).with_only_columns(incoming, _value(late)),
    ]
    if not keep_photo:
        sources.append(photos.with_only_columns(MemoryPhoto.key, _value(moment)))
    columns = ["key", "next_attempt_at", "attempts", "created_at"]
    for source in sources:
        session.execute(
            insert(StorageDeletion).from_select(
                columns, source.add_columns(_value(0), _value(moment))
            )
        )
    session.info[_DELETIONS_KEY] = True


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return literal(value, UTCDateTime())
    return literal(value)


@event.listens_for(Session, "after_commit")
def _enqueue_deletions(session: Session) -> None:
    # After commit, so the job sees the rows; if Redis is down the clock's job gets them.
    if session.info.pop(_DELETIONS_KEY, None):
        queue.enqueue(DELETE_JOB)


@event.listens_for(Session, "after_soft_rollback")
def _forget_deletions(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_DELETIONS_KEY, None)


DELETE_BATCH = 100
RETRY_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
RETRY_MAX_WAIT = timedelta(hours=6)


def delete_due_objects(session: Session, *, storage: Storage, moment: datetime) -> tuple[int, int]:
    """Delete every stored object whose deletion is due; (deleted, failed). Failures are retried.

    Rows are claimed with SKIP LOCKED, so two workers split the work; a failed delete stays
    in the outbox with a later next_attempt_at and is never dropped.
    """
    deleted = failed = 0
    while True:
        rows = list(
            session.scalars(
                select(StorageDeletion)
                .where(StorageDeletion.next_attempt_at <= moment)
                .order_by(StorageDeletion.next_attempt_at, StorageDeletion.id)
                .limit(DELETE_BATCH)
                .with_for_update(**for_update_skip_locked(session))
            )
        )
        if not rows:
            session.commit()
            return deleted, failed
        for row in rows:
            try:
                storage.delete(row.key)
            except StorageError as exc:
                row.attempts += 1
                wait = (
                    RETRY_BACKOFF[row.attempts - 1]
                    if row.attempts <= len(RETRY_BACKOFF)
                    else RETRY_MAX_WAIT
                )
                row.next_attempt_at = moment + wait
                row.last_error = str(exc)[:300]
                failed += 1
            else:
                session.delete(row)
                deleted += 1
        session.commit()


def cleanup_unconfirmed(session: Session, *, moment: datetime) -> int:
    """Remove photos whose upload was never confirmed within a day (rows and objects)."""
    cutoff = moment - UNCONFIRMED_AFTER
    # The rows are locked first, and what is queued and deleted is exactly them: a photo
    # confirmed meanwhile (complete_upload holds its lock) is skipped by both statements,
    # never queued for deletion while it stays listed.
    stale = session.scalars(
        select(MemoryPhoto.id)
        .where(MemoryPhoto.status == PHOTO_PENDING, MemoryPhoto.created_at < cutoff)
        .with_for_update(**for_update_skip_locked(session))
    ).all()
    if stale:
        forget_objects(session, MemoryPhoto.id.in_(stale))
        session.execute(
            delete(MemoryPhoto)
            .where(MemoryPhoto.id.in_(stale))
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return len(stale)


# -- lifecycle: erasure and the purge ---------------------------------------------------------


@user_erasing.connect
def _erase_author(user: User, *, session: Session, **_: Any) -> None:
    """DELETE /v1/me: the memories the user created go, and their photos leave the store."""
    # Locked first, as delete_memory does: no photo may be added between the two statements.
    session.execute(select(Memory.id).where(Memory.author_id == user.id).with_for_update())
    forget_objects(session, Memory.author_id == user.id)
    session.execute(
        delete(Memory)
        .where(Memory.author_id == user.id)
        .execution_options(synchronize_session=False)
    )


@couples_purging.connect
def _purge_couples(sender: Any, *, session: Session, couple_ids: list[int], **_: Any) -> None:
    """The 30-day purge: the couples' photos leave the store (the rows go by cascade)."""
    forget_objects(session, Memory.couple_id.in_(couple_ids))


def present(storage: Storage, memory: MemoryView) -> dict[str, Any]:
    """The API's representation of a memory: its listed photos with fresh download URLs."""
    return {
        "id": memory.id,
        "author_id": memory.author_id,
        "title": memory.title,
        "text": memory.text,
        "happened_on": memory.happened_on,
        "client_id": memory.client_id,
        "photos": [present_photo(storage, photo) for photo in memory.photos],
        "created_at": memory.created_at,
        "updated_at": memory.updated_at,
    }


def present_photo(storage: Storage, photo: MemoryPhoto | PhotoView) -> dict[str, Any]:
    """A listed photo with a fresh, short-lived download URL."""
    url, expires_at = download_url(storage, photo)
    return {
        "id": photo.id,
        "content_type": photo.content_type,
        "size_bytes": photo.size_bytes,
        "url": url,
        "url_expires_at": expires_at,
        "created_at": photo.created_at,
    }
