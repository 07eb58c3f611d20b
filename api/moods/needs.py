"""The needs vocabulary: synced from content files, read in the reader's locale."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Select, and_, or_, select
from sqlalchemy.orm import Session

from api.clock import now
from api.content.loader import content_language
from api.content.needs import NeedItem, render_needs
from api.db_utils import execute_core
from api.moods.models import Need

FALLBACK_LOCALE = "en"


def sync_needs(session: Session, items: Iterable[NeedItem], locales: frozenset[str]):  # type: ignore[no-untyped-def]
    """Upsert needs by (slug, locale) and retire those the files' locales no longer hold."""
    from api.content.service import Counts

    counts = Counts()
    if not locales:
        return counts
    stamp = now()
    existing = {
        (row.slug, row.locale): row
        for row in session.scalars(select(Need).where(Need.locale.in_(locales)))
    }
    for item in items:
        values = {
            "label": item.label,
            "wish": item.wish,
            "suggestion": item.suggestion,
            "position": item.position,
        }
        row = existing.pop((item.slug, item.locale), None)
        if row is None:
            session.add(
                Need(
                    slug=item.slug, locale=item.locale, created_at=stamp, updated_at=stamp, **values
                )
            )
            counts.note("created", f"{item.slug} ({item.locale})")
            continue
        current = {name: getattr(row, name) for name in values}
        if current != values or row.retired_at is not None:
            for name, value in values.items():
                setattr(row, name, value)
            row.retired_at, row.updated_at = None, stamp
            counts.note("updated", f"{item.slug} ({item.locale})")
    # Only the locales the file set covers: importing es.yaml alone never retires en.
    for row in existing.values():
        if row.retired_at is None:
            row.retired_at = stamp
            counts.note("retired", f"{row.slug} ({row.locale})")
    return counts


def export_needs(session: Session, directory: Path) -> list[Path]:
    """Write the live vocabulary as content/needs/<locale>.yaml files under directory."""
    rows = session.scalars(select(Need).where(Need.retired_at.is_(None))).all()
    items = [NeedItem(r.slug, r.locale, r.label, r.wish, r.suggestion, r.position) for r in rows]
    written: list[Path] = []
    for locale in sorted({n.locale for n in items}):
        path = directory / "needs" / f"{locale}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_needs(locale, items), encoding="utf-8")
        written.append(path)
    return written


# What the vocabulary shows of a need, and what orders it.
_NEEDS = Need.__table__
_SHOWN = [_NEEDS.c.slug, _NEEDS.c.label, _NEEDS.c.suggestion, _NEEDS.c.position]


@functools.cache
def _vocabulary_statement(language: str) -> Select[Any]:
    """vocabulary's SELECT for a content language, built once (no bound parameters).

    Each need's shown columns come with its English position: the English file decides the
    order (a translation may list its items differently).
    """
    needs = _NEEDS.c
    live = needs.retired_at.is_(None)
    if language == FALLBACK_LOCALE:
        # The English rows are their own order.
        english_rows = needs.locale == FALLBACK_LOCALE
        return select(*_SHOWN, needs.position.label("english_position")).where(live, english_rows)
    english = _NEEDS.alias("english")
    english_position = (
        select(english.c.position)
        .where(
            english.c.slug == needs.slug,
            english.c.locale == FALLBACK_LOCALE,
            english.c.retired_at.is_(None),
        )
        .correlate(_NEEDS)
        .scalar_subquery()
    )
    translated = select(needs.slug).where(live, needs.locale == language)
    return select(*_SHOWN, english_position.label("english_position")).where(
        live,
        or_(
            needs.locale == language,
            and_(needs.locale == FALLBACK_LOCALE, needs.slug.not_in(translated)),
        ),
    )


def vocabulary(session: Session, *, locale: str | None) -> list[Row[Any]]:
    """The live needs in locale's language, English for each slug not translated (one query):
    rows of slug, label, suggestion (read as a Need's attributes) and the sort key's parts."""
    rows = execute_core(session, _vocabulary_statement(content_language(locale))).all()
    # A slug with no live English row sorts by its own position, as before.
    return sorted(rows, key=_order)


def _order(row: Row[Any]) -> tuple[int, str]:
    """A need's place: its English position (0 is the first), else its own; then its slug."""
    english = row.english_position
    return (row.position if english is None else english, row.slug)


def live_slugs(session: Session) -> set[str]:
    """The slugs a mood entry may name: the live English vocabulary."""
    return set(
        session.scalars(
            select(Need.slug).where(Need.retired_at.is_(None), Need.locale == FALLBACK_LOCALE)
        )
    )
