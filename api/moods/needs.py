"""The needs vocabulary: synced from content files, read in the reader's locale."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from api.clock import now
from api.content.loader import content_language
from api.content.needs import NeedItem, render_needs
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


def vocabulary(session: Session, *, locale: str | None) -> list[Need]:
    """The live needs in locale's language, English for each slug not translated (one query)."""
    language = content_language(locale)
    live = Need.retired_at.is_(None)
    if language == FALLBACK_LOCALE:
        rows = list(session.scalars(select(Need).where(live, Need.locale == FALLBACK_LOCALE)))
    else:
        translated = select(Need.slug).where(live, Need.locale == language)
        rows = list(
            session.scalars(
                select(Need).where(
                    live,
                    or_(
                        Need.locale == language,
                        and_(Need.locale == FALLBACK_LOCALE, Need.slug.not_in(translated)),
                    ),
                )
            )
        )
    # The English file decides the order (a translation may list its items differently).
    order = {
        slug: position
        for slug, position in session.execute(
            select(Need.slug, Need.position).where(live, Need.locale == FALLBACK_LOCALE)
        )
    }
    return sorted(rows, key=lambda n: (order.get(n.slug, n.position), n.slug))


def live_slugs(session: Session) -> set[str]:
    """The slugs a mood entry may name: the live English vocabulary."""
    return set(
        session.scalars(
            select(Need.slug).where(Need.retired_at.is_(None), Need.locale == FALLBACK_LOCALE)
        )
    )
