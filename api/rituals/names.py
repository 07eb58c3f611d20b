"""A ritual's name as a push or feed line shows it, in its reader's language.

The couple's own words (a title they typed, or a template's title they edited) are data: shown
exactly as typed, in every language, so a name ("Anna's walk"), an acronym or a German noun
keeps its capital. A title that is still one of Hearth's template titles is Hearth's text: it
is shown in the reader's language (the template's translation, else English), and only an
English sentence, which runs the name into the phrase ("Sam logged your six-second kiss"),
lowers its first letter. The other catalogs quote the name („Sechs-Sekunden-Kuss“, « … »), so
it keeps its capital there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.content.loader import FALLBACK_LOCALE, content_language
from api.i18n import SOURCE_LANGUAGE, Text, language_of
from api.rituals.models import Ritual, RitualTemplate


@dataclass(frozen=True)
class RitualName(Text):
    """A ritual's title rendered for its reader (see the module docstring for the rule)."""

    # Content language -> the template's title, when the ritual still bears one of them.
    titles: Mapping[str, str] = field(default_factory=dict)
    # Inside a sentence ("your %(ritual)s"), rather than standing alone (a push title).
    inline: bool = False

    def render(self, locale: str | None) -> str:
        """The title as typed, or the template's title in locale's language."""
        if not self.titles:
            return self.msgid
        english = self.titles[FALLBACK_LOCALE]
        words = self.titles.get(content_language(locale)) or english
        if self.inline and words == english and language_of(locale) == SOURCE_LANGUAGE:
            return words[:1].lower() + words[1:]
        return words


def template_titles(template: RitualTemplate | None) -> dict[str, str]:
    """The template's title in each content language it has (English always)."""
    if template is None:
        return {}
    titles = {FALLBACK_LOCALE: template.title}
    for language, words in (template.translations or {}).items():
        if words.get("title"):
            titles[language] = words["title"]
    return titles


def _name(ritual: Ritual, template: RitualTemplate | None, *, inline: bool) -> RitualName:
    title = ritual.title.strip()
    titles = template_titles(template) if ritual.template_key else {}
    # The template's words only while the title is still one of them: an edit makes it theirs.
    ours = template is not None and template.key == ritual.template_key and title in titles.values()
    return RitualName(title, titles=titles if ours else {}, inline=inline)


def ritual_title(ritual: Ritual, template: RitualTemplate | None) -> RitualName:
    """The ritual's name standing alone (a push title)."""
    return _name(ritual, template, inline=False)


def ritual_phrase(ritual: Ritual, template: RitualTemplate | None) -> RitualName:
    """The ritual's name inside a sentence ("Sam logged your %(ritual)s")."""
    return _name(ritual, template, inline=True)


def templates_of(session: Session, rituals: Iterable[Ritual]) -> dict[str, RitualTemplate]:
    """The templates the rituals were made from, by key (retired ones too): one query, or none."""
    keys = {r.template_key for r in rituals if r.template_key}
    if not keys:
        return {}
    return {
        t.key: t
        for t in session.scalars(select(RitualTemplate).where(RitualTemplate.key.in_(keys)))
    }
