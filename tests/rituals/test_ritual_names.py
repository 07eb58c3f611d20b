"""A ritual's name inside a push: the couple's words as typed, Hearth's template titles in the
reader's language (lower-cased only where an English sentence runs them into the phrase)."""

from __future__ import annotations

import pytest

from api.i18n import text
from api.rituals.models import Ritual, RitualTemplate
from api.rituals.names import ritual_phrase, ritual_title

KISS = RitualTemplate(
    key="six-second-kiss",
    title="Six-second kiss",
    translations={
        "de": {"title": "Sechs-Sekunden-Kuss", "description": "…"},
        "es": {"title": "Beso de seis segundos", "description": "…"},
    },
)
LOGGED = "%(name)s logged your %(ritual)s"


def ritual(title: str, template_key: str | None = None) -> Ritual:
    return Ritual(title=title, template_key=template_key)


@pytest.mark.parametrize(
    "title", ["Anna's walk", "Spaziergang mit Anna", "NYT crossword", "Six-second kiss", "éclair"]
)
@pytest.mark.parametrize("locale", ["en", "en-GB", "de", "es", "fr", "it", "pt-BR", "nl"])
def test_the_couples_own_title_is_never_altered(title, locale):
    for name in (ritual_phrase(ritual(title), None), ritual_title(ritual(title), None)):
        assert name.render(locale) == title


def test_an_english_sentence_lowers_hearths_template_title_only():
    kiss = ritual("Six-second kiss", "six-second-kiss")
    assert ritual_phrase(kiss, KISS).render("en") == "six-second kiss"
    assert ritual_title(kiss, KISS).render("en") == "Six-second kiss"  # a push title stands alone
    body = text(LOGGED, name="Sam", ritual=ritual_phrase(kiss, KISS))
    assert body.render("en-US") == "Sam logged your six-second kiss"
    # The same words typed by the couple (no template) are theirs: as typed.
    typed = text(LOGGED, name="Sam", ritual=ritual_phrase(ritual("Six-second kiss"), None))
    assert typed.render("en") == "Sam logged your Six-second kiss"


def test_a_template_title_reads_in_the_readers_language_and_keeps_its_capital():
    # Made by an English speaker: a German reader reads the German title, never "sechs-...".
    kiss = ritual("Six-second kiss", "six-second-kiss")
    assert ritual_phrase(kiss, KISS).render("de-AT") == "Sechs-Sekunden-Kuss"
    assert ritual_phrase(kiss, KISS).render("es") == "Beso de seis segundos"
    # No Italian title: the English one, quoted by the Italian sentence as it is.
    assert ritual_phrase(kiss, KISS).render("it") == "Six-second kiss"
    assert (
        text(LOGGED, name="Tom", ritual=ritual_phrase(kiss, KISS)).render("it")
        == "Tom ha segnato «Six-second kiss»"
    )
    # Made by a German speaker: the English reader gets the English title.
    kuss = ritual("Sechs-Sekunden-Kuss", "six-second-kiss")
    assert ritual_phrase(kuss, KISS).render("en") == "six-second kiss"
    assert ritual_phrase(kuss, KISS).render("de") == "Sechs-Sekunden-Kuss"
    assert (
        text(LOGGED, name="Tom", ritual=ritual_phrase(kuss, KISS)).render("de")
        == "Tom hat „Sechs-Sekunden-Kuss“ eingetragen"
    )


def test_an_edited_template_title_is_the_couples_own():
    edited = ritual("Six-second kiss with Anna", "six-second-kiss")
    for locale in ("en", "de", "es"):
        assert ritual_phrase(edited, KISS).render(locale) == "Six-second kiss with Anna"
    # A template that is not the ritual's (or is gone) gives nothing either.
    assert ritual_phrase(ritual("Six-second kiss", "other-key"), KISS).render("de") == (
        "Six-second kiss"
    )
    assert ritual_phrase(ritual("Six-second kiss", "six-second-kiss"), None).render("en") == (
        "Six-second kiss"
    )
