"""Sync the database with a validated content set: idempotent upsert by slug, retire the rest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from api.affirmations.models import Affirmation, AffirmationText
from api.clock import now
from api.content.loader import (
    AFFIRMATION_CATEGORIES,
    AffirmationItem,
    ContentSet,
    QuestionItem,
    RitualTemplateItem,
    RitualTemplateText,
    render_affirmations,
    render_questions,
    render_template_texts,
    render_templates,
)
from api.questions.models import Question
from api.rituals.models import RitualTemplate


@dataclass
class Counts:
    """What an import did (or would do) to one kind of content."""

    created: int = 0
    updated: int = 0
    retired: int = 0
    # What was created, updated, retired: (action, name) pairs, in the order they happened.
    names: list[tuple[str, str]] = field(default_factory=list)

    def note(self, action: str, name: str) -> None:
        """Count one item under action ("created", "updated" or "retired") and remember it."""
        setattr(self, action, getattr(self, action) + 1)
        self.names.append((action, name))

    @property
    def changed(self) -> int:
        """Rows created, updated or retired."""
        return self.created + self.updated + self.retired


@dataclass
class ImportReport:
    """Counts per kind of content."""

    affirmations: Counts = field(default_factory=Counts)
    templates: Counts = field(default_factory=Counts)
    needs: Counts = field(default_factory=Counts)
    questions: Counts = field(default_factory=Counts)
    # Templates whose translated words changed (content/ritual_templates/<locale>.yaml).
    template_texts: Counts = field(default_factory=Counts)


def kinds_present(session: Session) -> set[str]:
    """The kinds of content the database holds any row of, live or retired.

    One of "affirmations", "ritual templates", "needs", "questions" (the CLI's names).
    """
    from api.moods.models import Need  # the moods domain owns the needs table

    models = {
        "affirmations": Affirmation,
        "ritual templates": RitualTemplate,
        "needs": Need,
        "questions": Question,
    }
    return {
        kind
        for kind, model in models.items()
        if session.scalar(select(model.id).limit(1)) is not None
    }


def without_kinds(content: ContentSet, kinds: set[str]) -> ContentSet:
    """The content set with the named kinds left out: an import of it neither writes nor
    retires anything of them (retirement only touches the locales a set covers)."""
    changes: dict[str, object] = {}
    if "affirmations" in kinds:
        changes.update(affirmations=(), locales=frozenset())
    if "ritual templates" in kinds:
        changes.update(
            templates=(), has_templates=False, template_texts=(), template_text_locales=frozenset()
        )
    if "needs" in kinds:
        changes.update(needs=(), need_locales=frozenset())
    if "questions" in kinds:
        changes.update(questions=(), question_locales=frozenset())
    return replace(content, **changes)  # type: ignore[arg-type]


def import_content(session: Session, content: ContentSet, *, dry_run: bool = False) -> ImportReport:
    """Upsert the content set by slug and retire what it no longer holds; commit unless dry_run."""
    report = ImportReport(
        affirmations=_sync_affirmations(session, content.affirmations, content.locales),
        templates=(
            _sync_templates(session, content.templates) if content.has_templates else Counts()
        ),
        needs=_sync_needs(session, content),
    )
    report.questions = _sync_questions(session, content.questions, content.question_locales)
    if content.template_text_locales:
        session.flush()  # templates created above get their translations too
        report.template_texts.updated = _sync_template_texts(session, content)
    if dry_run:
        session.rollback()
    else:
        session.commit()
        _analyze_content(session)
    return report


def _analyze_content(session: Session) -> None:
    """Refresh PostgreSQL's statistics of the content tables an import wrote, and commit.

    Without them (autovacuum off, or not yet come by) the planner takes ``retired_at IS NULL``
    for one row in two hundred, and joined every affirmation with a scan of all the texts: the
    library page took 1.6 ms (es: 4.3 ms) on the server instead of 0.1 ms (0.3 ms). Only an
    import writes these tables, so it refreshes them. SQLite's planner keeps to its indexes.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    from api.moods.models import Need  # the moods domain owns the needs table

    tables = (Affirmation, AffirmationText, RitualTemplate, Need, Question)
    session.execute(sql_text(f"ANALYZE {', '.join(model.__tablename__ for model in tables)}"))
    session.commit()


def _sync_affirmations(
    session: Session, items: Iterable[AffirmationItem], locales: frozenset[str]
) -> Counts:
    """Upsert one affirmation per slug and its words per locale; counts are per (slug, locale)."""
    counts = Counts()
    if not locales:
        return counts
    stamp = now()
    affirmations = {row.slug: row for row in session.scalars(select(Affirmation))}
    texts = {
        (slug, row.locale): row
        for row, slug in session.execute(
            select(AffirmationText, Affirmation.slug)
            .join(Affirmation, Affirmation.id == AffirmationText.affirmation_id)
            .where(AffirmationText.locale.in_(locales))
        )
    }
    for item in items:
        affirmation = affirmations.get(item.slug)
        if affirmation is None:
            affirmation = Affirmation(
                slug=item.slug, category=item.category, created_at=stamp, updated_at=stamp
            )
            session.add(affirmation)
            session.flush()  # its id, for the texts
            affirmations[item.slug] = affirmation
        elif (affirmation.category, affirmation.retired_at) != (item.category, None):
            # A retired slug that is back in the files returns to the library.
            affirmation.category, affirmation.retired_at = item.category, None
            affirmation.updated_at = stamp
        row = texts.pop((item.slug, item.locale), None)
        if row is None:
            session.add(
                AffirmationText(
                    affirmation_id=affirmation.id,
                    locale=item.locale,
                    text=item.text,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            counts.note("created", f"{item.slug} ({item.locale})")
        elif (row.text, row.retired_at) != (item.text, None) or affirmation.updated_at == stamp:
            row.text, row.retired_at, row.updated_at = item.text, None, stamp
            counts.note("updated", f"{item.slug} ({item.locale})")
    # Only locales the file set covers reach here, so importing es.yaml alone never retires en.
    for (slug, _locale), row in texts.items():
        if row.retired_at is None:
            row.retired_at = stamp
            counts.note("retired", f"{slug} ({row.locale})")
    session.flush()
    # An affirmation with no live words left in any locale leaves the library.
    for affirmation in affirmations.values():
        if affirmation.retired_at is None and not session.scalar(
            select(AffirmationText.id)
            .where(
                AffirmationText.affirmation_id == affirmation.id,
                AffirmationText.retired_at.is_(None),
            )
            .limit(1)
        ):
            affirmation.retired_at = stamp
    return counts


def _sync_needs(session: Session, content: ContentSet) -> Counts:
    from api.moods.needs import sync_needs  # the moods domain owns the needs table

    return sync_needs(session, content.needs, content.need_locales)


def _template_values(item: RitualTemplateItem) -> dict[str, object]:
    return {
        "title": item.title,
        "description": item.description,
        "schedule_days": list(item.days),
        "schedule_time": item.time,
        "completion": item.completion,
        "reminder_enabled": item.reminder_enabled,
        "reminder_minutes_before": item.reminder_minutes_before,
    }


def _sync_templates(session: Session, items: Iterable[RitualTemplateItem]) -> Counts:
    counts = Counts()
    stamp = now()
    existing = {row.key: row for row in session.scalars(select(RitualTemplate))}
    for item in items:
        values = _template_values(item)
        row = existing.pop(item.key, None)
        if row is None:
            session.add(RitualTemplate(key=item.key, **values))
            counts.note("created", item.key)
            continue
        current = {name: getattr(row, name) for name in values}
        if current != values or row.retired_at is not None:
            for name, value in values.items():
                setattr(row, name, value)
            row.retired_at = None
            counts.note("updated", item.key)
    for row in existing.values():
        if row.retired_at is None:
            row.retired_at = stamp
            counts.note("retired", row.key)
    return counts


def _sync_template_texts(session: Session, content: ContentSet) -> int:
    """Set each template's translations for the locales the files cover; returns how many changed.

    A locale the files cover replaces what the row had for it (a key missing from es.yaml loses
    its Spanish words); other locales are left as they are.
    """
    covered = content.template_text_locales
    by_key: dict[str, dict[str, dict[str, str]]] = {}
    for text in content.template_texts:
        by_key.setdefault(text.key, {})[text.locale] = {
            "title": text.title,
            "description": text.description,
        }
    changed = 0
    for row in session.scalars(select(RitualTemplate)):
        kept = {k: v for k, v in (row.translations or {}).items() if k not in covered}
        wanted = {**kept, **by_key.get(row.key, {})}
        if wanted != (row.translations or {}):
            row.translations = wanted
            changed += 1
    return changed


def export_content(session: Session, directory: Path) -> list[Path]:
    """Write the live library and templates as content files under directory; return their paths."""
    rows = session.execute(
        select(Affirmation.slug, Affirmation.category, AffirmationText.locale, AffirmationText.text)
        .join(AffirmationText, AffirmationText.affirmation_id == Affirmation.id)
        .where(Affirmation.retired_at.is_(None), AffirmationText.retired_at.is_(None))
        .order_by(AffirmationText.id)
    ).all()
    order = {name: index for index, name in enumerate(AFFIRMATION_CATEGORIES)}
    # Grouped by category, then in import order: the same shape the hand-written files have.
    items = sorted(
        (
            AffirmationItem(slug=slug, locale=locale, category=category, text=text)
            for slug, category, locale, text in rows
        ),
        key=lambda a: order.get(a.category, len(order)),
    )
    written: list[Path] = []
    for locale in sorted({a.locale for a in items}):
        path = directory / "affirmations" / f"{locale}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_affirmations(locale, items), encoding="utf-8")
        written.append(path)
    templates = session.scalars(
        select(RitualTemplate)
        .where(RitualTemplate.retired_at.is_(None))
        .order_by(RitualTemplate.id)
    ).all()
    path = directory / "ritual_templates.yaml"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(
        render_templates(
            RitualTemplateItem(
                key=t.key,
                title=t.title,
                description=t.description,
                days=tuple(t.schedule_days),
                time=t.schedule_time,
                completion=t.completion,
                reminder_enabled=t.reminder_enabled,
                reminder_minutes_before=t.reminder_minutes_before,
            )
            for t in templates
        ),
        encoding="utf-8",
    )
    written.append(path)
    texts = [
        RitualTemplateText(t.key, locale, words["title"], words["description"])
        for t in templates
        for locale, words in sorted((t.translations or {}).items())
    ]
    for locale in sorted({t.locale for t in texts}):
        path = directory / "ritual_templates" / f"{locale}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_template_texts(locale, texts), encoding="utf-8")
        written.append(path)
    written.extend(_export_needs(session, directory))
    written += _export_questions(session, directory)
    return written


# -- daily questions ---------------------------------------------------------------------------


def _sync_questions(
    session: Session, items: Iterable[QuestionItem], locales: frozenset[str]
) -> Counts:
    """Upsert questions by (slug, locale); retire those of the covered locales left out."""
    counts = Counts()
    if not locales:
        return counts
    stamp = now()
    existing = {
        (row.slug, row.locale): row
        for row in session.scalars(select(Question).where(Question.locale.in_(locales)))
    }
    for item in items:
        row = existing.pop((item.slug, item.locale), None)
        wanted = (item.depth, item.category, item.text, None)
        if row is None:
            session.add(
                Question(
                    slug=item.slug,
                    locale=item.locale,
                    depth=item.depth,
                    category=item.category,
                    text=item.text,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            counts.note("created", f"{item.slug} ({item.locale})")
        elif (row.depth, row.category, row.text, row.retired_at) != wanted:
            # A retired slug back in the file returns to the library.
            row.depth, row.category, row.text, row.retired_at = wanted
            row.updated_at = stamp
            counts.note("updated", f"{item.slug} ({item.locale})")
    # Retired, never deleted: days that asked a question keep showing it.
    for row in existing.values():
        if row.retired_at is None:
            row.retired_at = stamp
            counts.note("retired", f"{row.slug} ({row.locale})")
    return counts


def _export_questions(session: Session, directory: Path) -> list[Path]:
    """Write the live questions as content/questions/<locale>.yaml files, in import order."""
    rows = session.scalars(
        select(Question).where(Question.retired_at.is_(None)).order_by(Question.id)
    ).all()
    items = [QuestionItem(r.slug, r.locale, r.depth, r.category, r.text) for r in rows]
    written: list[Path] = []
    for locale in sorted({q.locale for q in items}):
        path = directory / "questions" / f"{locale}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_questions(locale, items), encoding="utf-8")
        written.append(path)
    return written


def _export_needs(session: Session, directory: Path) -> list[Path]:
    from api.moods.needs import export_needs

    return export_needs(session, directory)
