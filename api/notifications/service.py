"""The outbox: write notification rows in the caller's transaction, deliver after commit."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Executable,
    Insert,
    Select,
    bindparam,
    event,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from api import queue
from api.clock import now
from api.db_utils import conflict_insert, execute_core, insert_ignore
from api.i18n import Text
from api.notifications import categories
from api.notifications.models import Notification
from api.pagination import Page, PagedSelect, by_id, page_statement, paged

_OUTBOX_KEY = "hearth_outbox"

_NOTIFICATIONS = Notification.__table__.c
# The feed pages by the BIGINT id: a cursor holds {"after": id}.
FEED = by_id(_NOTIFICATIONS.id)


def notify(
    session: Session,
    *,
    recipient_id: int,
    couple_id: int | None,
    category: str,
    title: Text | str,
    body: Text | str,
    data: dict[str, Any] | None = None,
    dedupe_key: str,
    deliver_after: datetime | None = None,
    collapse_key: str | None = None,
    ttl_seconds: int | None = None,
    push: bool = True,
) -> int | None:
    """Write one notification (None if its dedupe_key exists); delivery is enqueued on commit.

    couple_id: the couple the push is about (None only for pairing's own pushes); it is never
    sent to a recipient who is no longer in that couple (workers/delivery.py).
    push=False: feed only (a limit said no more pushes), recorded as suppressed, never sent.
    title and body are user-facing: an i18n Text (a marked msgid with its parameters) is
    rendered here in the recipient's language; a str must already be, by translate() in the
    recipient's locale (tests/i18n/test_coverage.py holds every caller to one or the other).
    """
    categories.check(category, couple_id)  # a bug: fail loudly, in the caller's transaction
    # Only a translatable Text needs the reader's language (verbatim words are shown as they are).
    translatable = any(isinstance(v, Text) and v.translatable for v in (title, body))
    locale = recipient_locale(session, recipient_id) if translatable else None
    values = {
        "recipient_id": recipient_id,
        "couple_id": couple_id,
        "category": category,
        "title": (title.render(locale) if isinstance(title, Text) else title)[:200],
        "body": body.render(locale) if isinstance(body, Text) else body,
        "data": data or {},
        "dedupe_key": dedupe_key,
        "status": "pending" if push else "suppressed",
        "last_error": None if push else "daily push limit reached",
        "deliver_after": deliver_after or now(),
        "collapse_key": collapse_key,
        "ttl_seconds": ttl_seconds,
        "attempts": 0,
        "created_at": now(),
    }
    # ON CONFLICT DO NOTHING: two writers of the same event race safely.
    notification_id = insert_ignore(session, Notification, values, conflict_on=["dedupe_key"])
    if notification_id is not None and push:
        session.info.setdefault(_OUTBOX_KEY, []).append(notification_id)
    return notification_id


_MANY_CHUNK = 500
# At most this many rows go with an `alongside` write in one statement (one INSERT CTE per
# row, built and compiled once per row count: a check-in writes one to three).
_ALONGSIDE_MAX = 8
# The columns notify_many writes, in each row's dict.
_ROW_COLUMNS = (
    "recipient_id",
    "couple_id",
    "category",
    "title",
    "body",
    "data",
    "dedupe_key",
    "status",
    "deliver_after",
    "collapse_key",
    "ttl_seconds",
    "attempts",
    "created_at",
)


def notify_many(
    session: Session,
    notifications: list[dict[str, Any]],
    *,
    alongside: tuple[Executable, dict[str, Any]] | None = None,
) -> list[int]:
    """Write many notifications (notify's keyword arguments, one dict each) in few statements.

    For clock jobs that push to thousands at once: one INSERT per 500 rows instead of one
    round trip per row. Rows whose dedupe_key exists are skipped; returns the new ids.
    ``alongside``: (statement, params) of another write of the same transaction, sent in the
    same round trip where the database can (see _insert_many), on its own otherwise.
    """
    return [row_id for row_id, _ in _insert_many(session, notifications, alongside)]


def notify_many_keyed(session: Session, notifications: list[dict[str, Any]]) -> set[str]:
    """notify_many, returning the dedupe_keys of the rows that were new (to tell whose they are)."""
    return {key for _, key in _insert_many(session, notifications)}


def _insert_many(
    session: Session,
    notifications: list[dict[str, Any]],
    alongside: tuple[Executable, dict[str, Any]] | None = None,
) -> list[tuple[int, str]]:
    """The rows of notify_many written; (id, dedupe_key) of each new one."""
    dialect = session.get_bind().dialect.name
    if alongside is not None and (
        dialect != "postgresql" or not notifications or len(notifications) > _ALONGSIDE_MAX
    ):
        execute_core(session, *alongside)
        alongside = None
    if not notifications:
        return []
    moment = now()
    rows = []
    for item in notifications:
        categories.check(item["category"], item["couple_id"])
        rows.append(
            {
                "recipient_id": item["recipient_id"],
                "couple_id": item["couple_id"],
                "category": item["category"],
                "title": item["title"],
                "body": item["body"],
                "data": item.get("data") or {},
                "dedupe_key": item["dedupe_key"],
                "status": "pending",
                "deliver_after": item.get("deliver_after") or moment,
                "collapse_key": item.get("collapse_key"),
                "ttl_seconds": item.get("ttl_seconds"),
                "attempts": 0,
                "created_at": moment,
            }
        )
    new: list[tuple[int, str]] = []
    if alongside is not None:
        # PostgreSQL runs data-modifying CTEs with the statement they are attached to, in the
        # same snapshot: the other write and the rows in one round trip.
        statement, params = alongside
        combined = _insert_with_cte(len(rows), statement)
        for i, row in enumerate(rows):
            params = {**params, **{f"n{i}_{column}": row[column] for column in _ROW_COLUMNS}}
        new.extend(tuple(r) for r in execute_core(session, combined, params))
    else:
        # One compiled statement run as an executemany: SQLAlchemy batches it into multi-row
        # INSERTs ("insertmanyvalues"), RETURNING the ids of the rows that were new.
        insert = _insert_statement(dialect)
        for start in range(0, len(rows), _MANY_CHUNK):
            new.extend(
                tuple(r) for r in execute_core(session, insert, rows[start : start + _MANY_CHUNK])
            )
    if new:
        session.info.setdefault(_OUTBOX_KEY, []).extend(row_id for row_id, _ in new)
    return new


@functools.cache
def _insert_statement(dialect: str) -> Insert:
    """INSERT of notifications ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key."""
    return (
        conflict_insert(dialect)(Notification)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id, Notification.dedupe_key)
    )


@functools.lru_cache(maxsize=4 * _ALONGSIDE_MAX)
def _insert_with_cte(count: int, statement: Executable) -> Select[Any]:
    """One PostgreSQL statement writing `count` notifications and running `statement`, built
    once per row count and statement: each row is a single-row INSERT ... RETURNING in a CTE
    of its own, `statement` another, and the main SELECT unions the rows' RETURNING.

    Not one multi-row VALUES: SQLAlchemy cannot cache a multi-row VALUES, so it compiled that
    statement again on every check-in that moved a streak (~0.3 ms a compile, alone); this
    one is compiled once. PostgreSQL runs every data-modifying CTE once, in the same
    snapshot, read or not.

    Bound parameters: the statement's own, and ``n{i}_{column}`` for row i's columns.
    Result rows: (id, dedupe_key) of each notification that was new.
    """
    table = Notification.__table__
    inserted = [
        _insert_statement("postgresql")
        .values(
            {
                column: bindparam(f"n{i}_{column}", type_=table.c[column].type)
                for column in _ROW_COLUMNS
            }
        )
        .cte(f"n{i}")
        for i in range(count)
    ]
    rows = [select(cte.c.id, cte.c.dedupe_key) for cte in inserted]
    combined = rows[0] if count == 1 else union_all(*rows)
    return select(combined.subquery()).add_cte(statement.cte("alongside"))


def recipient_locale(session: Session, user_id: int) -> str | None:
    """The user's locale; no query when the session already holds the user."""
    from api.users.models import User

    loaded = session.identity_map.get(session.identity_key(User, user_id))  # type: ignore[attr-defined]
    if loaded is not None and "locale" in loaded.__dict__:
        return loaded.locale
    return session.scalar(select(User.locale).where(User.id == user_id))


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop(_OUTBOX_KEY, None)
    if ids:
        queue.enqueue(queue.DELIVER_JOB, ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_OUTBOX_KEY, None)


def mark_read(session: Session, *, user_id: int, up_to_id: int) -> int:
    """Mark the user's notifications up to and including up_to_id read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.recipient_id == user_id,
            Notification.id <= up_to_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now())
    )
    return result.rowcount or 0


@dataclass(slots=True)
class FeedItem:
    """A notification as the feed answers it: the columns NotificationSchema shows."""

    id: int
    category: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


@functools.cache
def _feed_statement(unread: bool) -> PagedSelect:
    """The feed page's SELECT of the shown columns (Core, no entity) and the unread count,
    built once per variant: bound ``user_id``."""
    user_id = bindparam("user_id")
    unread_total = (
        select(func.count())
        .select_from(Notification.__table__)
        .where(_NOTIFICATIONS.recipient_id == user_id, _NOTIFICATIONS.read_at.is_(None))
        .scalar_subquery()
    )
    stmt = select(
        _NOTIFICATIONS.id,
        _NOTIFICATIONS.category,
        _NOTIFICATIONS.title,
        _NOTIFICATIONS.body,
        _NOTIFICATIONS.data,
        _NOTIFICATIONS.created_at,
        _NOTIFICATIONS.read_at,
        unread_total,
    ).where(_NOTIFICATIONS.recipient_id == user_id)
    if unread:
        stmt = stmt.where(_NOTIFICATIONS.read_at.is_(None))
    return paged(stmt, FEED)


def feed_page(
    session: Session, *, user_id: int, unread: bool, limit: int, cursor: str | None
) -> tuple[Page, int]:
    """A keyset page of the user's feed, newest first, and the unread count: one statement.

    The count rides on every row as a scalar subquery; only an empty page asks for it apart.
    """
    stmt, params = page_statement(
        _feed_statement(unread), {"user_id": user_id}, limit=limit, cursor=cursor
    )
    rows = execute_core(session, stmt, params).all()
    if not rows:
        return Page(items=[], next_cursor=None), unread_count(session, user_id=user_id)
    return FEED.page([FeedItem(*row[:7]) for row in rows], limit), rows[0][7]


@functools.cache
def _unread_count_statement() -> Select[tuple[int]]:
    """unread_count's SELECT, built once: bound ``user_id``."""
    return (
        select(func.count())
        .select_from(Notification.__table__)
        .where(
            _NOTIFICATIONS.recipient_id == bindparam("user_id"), _NOTIFICATIONS.read_at.is_(None)
        )
    )


def unread_count(session: Session, *, user_id: int) -> int:
    """How many of the user's notifications are not read yet."""
    return execute_core(session, _unread_count_statement(), {"user_id": user_id}).scalar_one()
