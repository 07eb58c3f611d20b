"""User-facing texts in the reader's language, through gettext catalogs (Babel).

Mark a text where it is written with ``N_("Sam logged %(ritual)s")`` (so `pybabel extract -k N_`
finds it) and render it for its reader with ``translate(locale, text, ritual=...)``. Catalogs
are the ``.po`` files under ``api/translations/<lang>/LC_MESSAGES/`` (one per domain, merged).
English is the source language: an English reader, or a text missing from a catalog, gets the
msgid itself.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark message for extraction; it is translated later, for its reader."""
    return message


def request_locale() -> str | None:
    """The language an error is answered in: the signed-in sender's locale, else Accept-Language."""
    from flask import g, has_request_context, request

    if not has_request_context():
        return None
    if g.get("locale"):
        return str(g.locale)
    return request.accept_languages.best_match(available_languages())


@functools.cache
def available_languages() -> tuple[str, ...]:
    """The languages with a catalog, plus English (the source language).

    Read from the folder once per process, as the catalogs themselves are (_catalog): it
    was a directory listing on every request that rendered a message.
    """
    found = sorted(p.name for p in TRANSLATIONS_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())
    return (SOURCE_LANGUAGE, *found)


@functools.lru_cache(maxsize=1024)
def language_of(locale: str | None) -> str:
    """The catalog language for a BCP 47 tag: `es-ES` → `es`; unknown or None → `en`.

    The language is the tag's first subtag, whatever follows it: Babel's parser refused tags
    with extensions or private use (`es-u-rg-mxzzzz`, which iOS sends), and they fell to `en`.
    """
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in available_languages() else SOURCE_LANGUAGE


def translate(locale: str | None, message: str, /, **params: object) -> str:
    """message in locale's language, with %(name)s placeholders filled from params."""
    text = _catalog(language_of(locale)).gettext(message)
    return text % params if params else text


def ntranslate(locale: str | None, singular: str, plural: str, n: int, /, **params: object) -> str:
    """The singular or plural form for n in locale's language; %(n)s is filled in too."""
    text = _catalog(language_of(locale)).ngettext(singular, plural, n)
    return text % {"n": n, **params}


@functools.cache
def _catalog(language: str) -> NullTranslations:
    folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    po_files = sorted(folder.glob("*.po")) if language != SOURCE_LANGUAGE else []
    if not po_files:
        return NullTranslations()
    # One .po per domain of the code (messages.po, questions.po, ...), merged into one
    # catalog; compiled in memory, so there is no generated .mo file to keep in step.
    merged: Translations | None = None
    for po_file in po_files:
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        translations = Translations(compiled)
        merged = translations if merged is None else merged.merge(translations)
    return merged


@dataclass(frozen=True)
class Text:
    """A user-facing text rendered later, for its reader: a marked msgid and its parameters.

    Build it with ``text(N_("%(name)s logged %(ritual)s"), name=..., ritual=...)``; a parameter
    that is itself a Text is rendered in the same language (e.g. "Your partner" for a missing
    name). notify() takes only Text, so no push or feed line can skip the catalogs.
    """

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)
    # False for words that are data, not Hearth's (a ritual's title): shown as they are.
    translatable: bool = True

    def render(self, locale: str | None) -> str:
        """The text in locale's language (English where the catalog lacks it)."""
        if not self.translatable:
            return self.msgid
        params = {
            key: value.render(locale) if isinstance(value, Text) else value
            for key, value in self.params.items()
        }
        return translate(locale, self.msgid, **params)


def text(message: str, /, **params: object) -> Text:
    """A Text of message (marked with N_ where it is written) and its parameters."""
    return Text(message, params)


def verbatim(words: str) -> Text:
    """Words that are data rather than Hearth's text (a ritual's title): never translated."""
    return Text(words, translatable=False)
