"""No user-facing string escapes translation: every catalog is complete, and no text unmarked.

Babel's own extractor reads api/ and workers/ as `pybabel extract -k N_` would; every msgid it
finds must have a msgstr with the same placeholders in every shipped language (every folder
under api/translations), and every language the content files may hold has a catalog. The AST
checks then hold the code to marking: every push or feed text handed to notify(), every error
title and detail, every schema message.
"""

from __future__ import annotations

import ast
import re
from gettext import c2py
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.content.loader import LOCALES
from api.i18n import SOURCE_LANGUAGE, TRANSLATIONS_DIR, available_languages, ntranslate

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("api", "workers")
KEYWORDS = {"N_": None, "ntranslate": (2, 3)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# Calls that make a text for a reader: Texts rendered by notify(), or already translated.
TEXT_MAKERS = {"text", "verbatim", "translate", "ntranslate", "Text", "ritual_title"}
# Exceptions that never reach a user (programming errors, config, content admin).
INTERNAL_EXCEPTIONS = {
    "ValueError",
    "TypeError",
    "RuntimeError",
    "AssertionError",
    "KeyError",
    "SystemExit",
    "ConfigError",
    "ContentError",
    "InvalidSchedule",
    "ClickException",  # an operator's command line (content CLI, embedded server)
    "DisconnectionError",  # SQLAlchemy's pool: makes it reconnect, never answered
    "StorageError",  # the photo store's failure, answered as StorageUnavailable (marked)
}


def extracted() -> dict[str, list[str]]:
    """msgid -> where it is marked, for every marked text in api/ and workers/."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                found.setdefault(msgid, []).append(f"{folder}/{filename}:{lineno}")
    return found


# Read from the folder, not from a list here: a language added later is held to the same bar.
SHIPPED = sorted(p.name for p in TRANSLATIONS_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


def translations(language: str) -> dict[str, str]:
    """msgid -> msgstr of the language's catalogs (a plural's forms joined; empty if any is)."""
    catalog: dict[str, str] = {}
    for po_file in sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as source:
            for message in read_po(source, locale=language):
                if not message.id:
                    continue
                if isinstance(message.id, str):
                    catalog[message.id] = message.string
                else:
                    # A plural entry: every form must be there, each with the plural's slots.
                    forms = list(message.string)
                    whole = "\n".join(forms) if all(forms) else ""
                    catalog[message.id[0]] = whole and forms[0]
                    catalog[message.id[1]] = whole and forms[-1]
    return catalog


def test_every_content_language_has_a_catalog():
    """A reader whose language the content serves reads Hearth's own sentences in it too."""
    assert sorted(set(LOCALES) - {SOURCE_LANGUAGE}) == SHIPPED
    assert set(available_languages()) == set(LOCALES)


def test_the_extractor_finds_the_texts():
    found = extracted()
    # A sample from each kind: a push, a feed sentence, an error title, an error detail.
    for msgid in (
        "%(name)s logged your %(ritual)s",
        "%(name)s accepted your invite. You are now paired.",
        "In %(minutes)s min, at %(time)s.",
        "Already paired",
        "Something went wrong on our side; it has been logged.",
    ):
        assert msgid in found, msgid


@pytest.mark.parametrize("language", SHIPPED)
def test_every_marked_text_is_translated_with_the_same_placeholders(language):
    catalog = translations(language)
    missing = {m: where for m, where in extracted().items() if not catalog.get(m)}
    assert not missing, f"no {language} for: {missing}"
    for msgid in extracted():
        assert sorted(PLACEHOLDER.findall(catalog[msgid])) == sorted(PLACEHOLDER.findall(msgid)), (
            language,
            msgid,
        )


# Words that read the same in every language (the app's name, a bare "field: message").
SAME_EVERYWHERE = {"Hearth", "%(field)s: %(message)s"}


@pytest.mark.parametrize("language", SHIPPED)
def test_no_msgstr_is_the_english_left_in_place(language):
    copied = [
        msgid
        for msgid, msgstr in translations(language).items()
        if msgstr == msgid and msgid not in SAME_EVERYWHERE
    ]
    assert not copied, f"{language} msgstr still English: {copied}"


@pytest.mark.parametrize("language", SHIPPED)
def test_plural_forms_follow_the_language(language):
    """Each catalog's Plural-Forms picks its singular exactly where CLDR says "one" (French and
    Portuguese say "0 an", "0 ano"), and every plural entry has a form for each."""
    for po_file in sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=language)
        assert "Plural-Forms" in po_file.read_text(encoding="utf-8"), po_file
        for message in catalog:
            if message.id and not isinstance(message.id, str):
                assert len(message.string) == catalog.num_plurals, (po_file, message.id)
        plural = c2py(catalog.plural_expr)
        cldr = Locale.parse(language)
        for n in range(1000):
            assert (plural(n) == 0) == (cldr.plural_form(n) == "one"), (po_file, n)
    # And the app renders through those forms: French and Portuguese say "0 an", "0 ano".
    years = ("%(n)s year together today", "%(n)s years together today")
    zero_is_singular = ntranslate(language, *years, 0) != ntranslate(language, *years, 2).replace(
        "2", "0"
    )
    assert zero_is_singular == (language in ("fr", "pt"))


def _python_files() -> list[Path]:
    return [p for folder in SOURCES for p in sorted((ROOT / folder).rglob("*.py"))]


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_text(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> bool:
    """Whether node yields a Text or a translated string (following local assignments)."""
    if isinstance(node, ast.Call):
        return _callee(node) in TEXT_MAKERS
    if isinstance(node, ast.IfExp):
        return _is_text(node.body, assigned) and _is_text(node.orelse, assigned)
    if isinstance(node, ast.Name) and assigned.get(node.id):
        return all(_is_text(value, {}) for value in assigned[node.id])
    return False


def _notify_calls() -> list[tuple[str, str, ast.expr, dict[str, list[ast.expr]]]]:
    calls = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assigned: dict[str, list[ast.expr]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned.setdefault(target.id, []).append(node.value)
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and _callee(node) == "notify":
                    for keyword in node.keywords:
                        if keyword.arg in ("title", "body"):
                            where = f"{path.relative_to(ROOT)}:{node.lineno} {keyword.arg}"
                            calls.append((where, keyword.arg, keyword.value, assigned))
    return calls


def test_notify_is_never_handed_an_unmarked_text():
    calls = _notify_calls()
    assert len(calls) >= 16  # eight kinds of push, a title and a body each
    unmarked = [where for where, _arg, value, assigned in calls if not _is_text(value, assigned)]
    assert not unmarked, f"notify() given text that skips the catalogs: {unmarked}"


@pytest.mark.parametrize(
    "source",
    [
        'notify(s, title="Hello", body=text(N_("x")))',
        'notify(s, title=text(N_("x")), body=f"{name} logged it")',
        "notify(s, title=ritual.title, body=text(N_('x')))",
    ],
)
def test_the_notify_check_catches_an_unmarked_text(source):
    tree = ast.parse(f"def f():\n    {source}\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) == "notify")
    assert not all(_is_text(k.value, {}) for k in call.keywords if k.arg in ("title", "body"))


def _literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != ""
    )


def unmarked_error_texts() -> list[str]:
    """Error titles, details and schema messages written as bare strings."""
    problems = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and any(getattr(t, "id", "") == "title" for t in item.targets)
                        and _literal(item.value)
                    ):
                        problems.append(f"{where}:{item.lineno} title of {node.name}")
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") == "default_error_messages" for t in node.targets
            ):
                values = node.value.values if isinstance(node.value, ast.Dict) else []
                problems += [f"{where}:{node.lineno} schema message" for v in values if _literal(v)]
            if isinstance(node, ast.Call):
                problems += [
                    f"{where}:{node.lineno} error="
                    for k in node.keywords
                    if k.arg == "error" and _literal(k.value)
                ]
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = _callee(node.exc)
                if name in INTERNAL_EXCEPTIONS or name == "make_error":  # make_error takes a key
                    continue
                args = node.exc.args
                # Invalid(field, message): the field is a name, the message a text.
                texts = args[1:2] if name == "Invalid" else args[:1]
                problems += [f"{where}:{node.lineno} raise {name}" for a in texts if _literal(a)]
    return problems


def test_every_error_title_detail_and_schema_message_is_marked():
    assert not unmarked_error_texts()


def test_the_error_check_catches_a_bare_string(tmp_path, monkeypatch):
    source = (
        "class Oops(DomainError):\n    title = 'Oops'\n\n"
        "def f(day):\n    raise Oops(f'Not on {day}')\n\n"
        "def g():\n    raise Invalid('field', 'Bad value.')\n\n"
        "class Day(Field):\n    default_error_messages = {'invalid': 'Not a day.'}\n\n"
        "LOCALE = Regexp('x', error='Use a tag.')\n"
    )
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "bad.py").write_text(source)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "SOURCES", ("api",))

    assert len(unmarked_error_texts()) == 5
