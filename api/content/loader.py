"""Read and validate the content files (affirmation library, ritual templates).

Pure: no database, no Flask. `load(path)` returns typed items or raises one
`ContentError` listing every problem found, so an invalid file set is rejected whole.
The file layouts are documented at the top of content/affirmations/en.yaml and
content/ritual_templates.yaml; `render_*` write the same layouts back (for export).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import yaml

AFFIRMATION_CATEGORIES = (
    "appreciation",
    "encouragement",
    "love",
    "gratitude",
    "support",
    "playful",
)
# The languages the apps ship; adding one here is all a new locale file needs.
LOCALES = ("en", "es", "de", "fr", "it", "pt")
FALLBACK_LOCALE = "en"


def content_language(locale: str | None) -> str:
    """The content locale a reader's BCP 47 tag reads: its language when LOCALES has it, else en.

    One answer for every kind of content (questions, affirmations, needs, templates): the gettext
    catalogs may cover fewer languages than the content files (a new language's content can come
    first), and must not decide this.
    """
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else FALLBACK_LOCALE


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COMPLETIONS = ("either", "both")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80
TEXT_MAX = 500
TITLE_MAX = 120
MINUTES_BEFORE_MAX = 1440
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

AFFIRMATIONS_KEY = "affirmations"
TEMPLATES_KEY = "ritual_templates"
# A translation of the templates' words: content/ritual_templates/<locale>.yaml.
TEMPLATE_TEXTS_KEY = "ritual_template_texts"

# The daily questions (content/questions/<locale>.yaml).
QUESTIONS_KEY = "questions"
QUESTION_DEPTHS = ("light", "deeper", "deep")
QUESTION_CATEGORIES = (
    "us",
    "dreams",
    "childhood",
    "appreciation",
    "remember-when",
    "values",
    "fun",
    "everyday",
    "feelings",
    "family-and-friends",
)
QUESTION_TEXT_MAX = 500


@dataclass(frozen=True)
class AffirmationItem:
    """One affirmation in one locale."""

    slug: str
    locale: str
    category: str
    text: str


@dataclass(frozen=True)
class QuestionItem:
    """One daily question in one locale."""

    slug: str
    locale: str
    depth: str
    category: str
    text: str


@dataclass(frozen=True)
class RitualTemplateItem:
    """One ritual template."""

    key: str
    title: str
    description: str
    days: tuple[str, ...]
    time: time
    completion: str
    reminder_enabled: bool
    reminder_minutes_before: int


@dataclass(frozen=True)
class RitualTemplateText:
    """A template's title and description in one locale other than en."""

    key: str
    locale: str
    title: str
    description: str


@dataclass(frozen=True)
class ContentSet:
    """Everything a file set holds, and what it covers (for retiring what is missing)."""

    affirmations: tuple[AffirmationItem, ...]
    templates: tuple[RitualTemplateItem, ...]
    # Retirement is scoped to what the files cover: importing only es.yaml never retires `en`.
    locales: frozenset[str]
    has_templates: bool
    files: tuple[Path, ...]
    # The needs vocabulary (content/needs/<locale>.yaml; see api/content/needs.py).
    needs: tuple[Any, ...] = ()
    need_locales: frozenset[str] = frozenset()
    questions: tuple[QuestionItem, ...] = ()
    # Like locales, for the question files: what an import may retire.
    question_locales: frozenset[str] = frozenset()
    template_texts: tuple[RitualTemplateText, ...] = ()
    # The locales the template translation files cover (their retirement is scoped likewise).
    template_text_locales: frozenset[str] = frozenset()


class ContentError(Exception):
    """The file set is invalid; `problems` lists each one as `file: item 'slug': field: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Problems:
    """Collects problems in the `file: item 'slug': field: message` shape."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: Path, message: str, *, item: str | None = None, field: str | None) -> None:
        parts = [str(file)]
        if item is not None:
            parts.append(item)
        if field is not None:
            parts.append(field)
        parts.append(message)
        self.items.append(": ".join(parts))


def content_files(path: str | Path) -> list[Path]:
    """The YAML files a path names: the file itself, or every *.yaml/*.yml below a directory."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [root]


def load(path: str | Path) -> ContentSet:
    """Load and validate a content file or directory; raise ContentError listing every problem."""
    files = content_files(path)
    if not files:
        raise ContentError([f"{path}: no .yaml or .yml files found"])
    return load_files(files)


def load_files(files: Iterable[Path]) -> ContentSet:
    """Load and validate the given files as one set; raise ContentError listing every problem."""
    problems = _Problems()
    files = tuple(files)
    affirmations: list[tuple[Path, AffirmationItem]] = []
    templates: list[tuple[Path, RitualTemplateItem]] = []
    template_texts: list[tuple[Path, RitualTemplateText]] = []
    text_locales: set[str] = set()
    locales: set[str] = set()
    english: set[str] = set()
    has_templates = False
    needs: list[tuple[Path, Any]] = []
    need_locales: set[str] = set()
    questions = _QuestionFiles()

    for file in files:
        data = _read_yaml(file, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.add(
                file, "the file must be a mapping (see the layout in its header)", field=None
            )
            continue
        if AFFIRMATIONS_KEY in data:
            locale = _check_affirmation_file(file, data, problems)
            if locale is not None:
                locales.add(locale)
            raw_items = data.get(AFFIRMATIONS_KEY)
            if locale == FALLBACK_LOCALE and isinstance(raw_items, list):
                # Every slug the English files name, valid item or not: a translation of an
                # English item with a bad field is one problem, not two.
                english.update(
                    r["slug"]
                    for r in raw_items
                    if isinstance(r, dict) and isinstance(r.get("slug"), str)
                )
            for item in _affirmation_items(file, raw_items, locale, problems):
                affirmations.append((file, item))
        elif QUESTIONS_KEY in data:
            questions.read(file, data, problems)
        elif TEMPLATES_KEY in data:
            has_templates = True
            extra = sorted(str(k) for k in data if k != TEMPLATES_KEY)
            for key in extra:
                problems.add(file, "unknown field", field=key)
            for tpl in _template_items(file, data.get(TEMPLATES_KEY), problems):
                templates.append((file, tpl))
        elif _is_needs_file(data):
            _read_needs(file, data, needs, need_locales, problems)
        elif TEMPLATE_TEXTS_KEY in data:
            locale = _check_template_texts_file(file, data, problems)
            if locale is not None:
                text_locales.add(locale)
                for text in _template_texts(file, data.get(TEMPLATE_TEXTS_KEY), locale, problems):
                    template_texts.append((file, text))
        else:
            problems.add(
                file,
                f"the file needs a top-level '{AFFIRMATIONS_KEY}', '{QUESTIONS_KEY}',"
                f" '{TEMPLATES_KEY}' or '{TEMPLATE_TEXTS_KEY}' list",
                field=None,
            )

    has_english = FALLBACK_LOCALE in locales
    _check_affirmation_set(affirmations, english if has_english else None, problems)
    _check_template_set(templates, problems)
    _check_needs(needs, need_locales, problems)
    questions.check_set(problems)
    _check_template_texts(template_texts, {t.key for _, t in templates}, problems)
    if problems.items:
        raise ContentError(problems.items)
    return ContentSet(
        affirmations=tuple(item for _, item in affirmations),
        templates=tuple(tpl for _, tpl in templates),
        locales=frozenset(locales),
        has_templates=has_templates,
        files=files,
        needs=tuple(item for _, item in needs),
        need_locales=frozenset(need_locales),
        questions=tuple(item for _, item in questions.items),
        question_locales=frozenset(questions.locales),
        template_texts=tuple(text for _, text in template_texts),
        template_text_locales=frozenset(text_locales),
    )


# -- the needs vocabulary (its own module; imported here lazily, it builds on this one) ----------


def _is_needs_file(data: dict[Any, Any]) -> bool:
    from api.content.needs import NEEDS_KEY

    return NEEDS_KEY in data


def _read_needs(
    file: Path,
    data: dict[Any, Any],
    needs: list[tuple[Path, Any]],
    need_locales: set[str],
    problems: _Problems,
) -> None:
    from api.content.needs import read_needs_file

    locale, items = read_needs_file(file, data, problems)
    if locale is not None:
        need_locales.add(locale)
    needs.extend((file, item) for item in items)


def _check_needs(
    needs: list[tuple[Path, Any]], need_locales: set[str], problems: _Problems
) -> None:
    from api.content.needs import check_needs_set

    check_needs_set(needs, need_locales, problems)


def _check_template_texts_file(file: Path, data: dict[Any, Any], problems: _Problems) -> str | None:
    for key in sorted(str(k) for k in data if k not in ("locale", TEMPLATE_TEXTS_KEY)):
        problems.add(file, "unknown field", field=key)
    locale = data.get("locale")
    if locale is None:
        problems.add(file, "required", field="locale")
        return None
    if locale not in LOCALES or locale == FALLBACK_LOCALE:
        others = ", ".join(x for x in LOCALES if x != FALLBACK_LOCALE)
        problems.add(file, f"must be one of {others} (en is ritual_templates.yaml)", field="locale")
        return None
    return str(locale)


def _template_texts(
    file: Path, raw_items: Any, locale: str, problems: _Problems
) -> Iterable[RitualTemplateText]:
    seen: set[str] = set()
    for label, raw in _items(file, raw_items, TEMPLATE_TEXTS_KEY, "key", problems):
        _check_unknown(file, label, raw, ("key", "title", "description"), problems)
        key = _slug(file, label, raw, "key", problems)
        title = _text(file, label, raw, "title", TITLE_MAX, problems)
        description = _text(file, label, raw, "description", TEXT_MAX, problems)
        if key in seen:
            problems.add(file, "appears twice in this file", item=label, field="key")
            continue
        if key and title and description:
            seen.add(key)
            yield RitualTemplateText(key, locale, title, description)


def _check_template_texts(
    texts: list[tuple[Path, RitualTemplateText]], keys: set[str], problems: _Problems
) -> None:
    """A translation must name a template of the set (when the set holds the templates)."""
    if not keys:
        return
    for file, text in texts:
        if text.key not in keys:
            problems.add(
                file,
                "no template in ritual_templates has this key",
                item=f"item '{text.key}'",
                field="key",
            )


def render_template_texts(locale: str, texts: Iterable[RitualTemplateText]) -> str:
    """YAML text of one locale's template translation file, in the layout `load` reads."""
    body = {
        "locale": locale,
        TEMPLATE_TEXTS_KEY: [
            {"key": t.key, "title": t.title, "description": t.description}
            for t in texts
            if t.locale == locale
        ],
    }
    return _TEMPLATE_TEXTS_HEADER + _dump(body)


_TEMPLATE_TEXTS_HEADER = (
    "# Hearth ritual templates, translated: the title and description of each template in\n"
    "# this file's locale (the schedule and the rest come from ritual_templates.yaml).\n"
    "# A template missing here is shown in English.\n"
)


def _read_yaml(file: Path, problems: _Problems) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(file, "no such file", field=None)
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(file, f"cannot read the file ({exc})", field=None)
        return None
    try:
        # A SafeLoader subclass: no arbitrary objects.
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        problems.add(file, f"{where}invalid YAML ({problem})", field=None)
        return None


def _check_affirmation_file(file: Path, data: dict[Any, Any], problems: _Problems) -> str | None:
    for key in sorted(str(k) for k in data if k not in ("locale", AFFIRMATIONS_KEY)):
        problems.add(file, "unknown field", field=key)
    locale = data.get("locale")
    if locale is None:
        problems.add(file, "required", field="locale")
        return None
    if locale not in LOCALES:
        problems.add(file, f"must be one of {', '.join(LOCALES)}", field="locale")
        return None
    return str(locale)


def _item_label(index: int, raw: Any, id_field: str) -> str:
    ident = raw.get(id_field) if isinstance(raw, dict) else None
    if isinstance(ident, str) and ident:
        return f"item '{ident}'"
    return f"item #{index + 1}"


def _items(
    file: Path, raw_items: Any, list_name: str, id_field: str, problems: _Problems
) -> Iterable[tuple[str, dict[Any, Any]]]:
    """Yield (label, mapping) for each list entry; report a non-list or a non-mapping entry."""
    if raw_items is None:
        raw_items = []
    if not isinstance(raw_items, list):
        problems.add(file, "must be a list", field=list_name)
        return
    for index, raw in enumerate(raw_items):
        label = _item_label(index, raw, id_field)
        if not isinstance(raw, dict):
            problems.add(file, "must be a mapping", item=label, field=None)
            continue
        yield label, raw


def _check_unknown(
    file: Path, label: str, raw: dict[Any, Any], allowed: tuple[str, ...], problems: _Problems
) -> None:
    for key in sorted(str(k) for k in raw if k not in allowed):
        problems.add(file, "unknown field", item=label, field=key)


def _slug(
    file: Path, label: str, raw: dict[Any, Any], name: str, problems: _Problems
) -> str | None:
    value = raw.get(name)
    if value is None:
        problems.add(file, "required", item=label, field=name)
    elif not isinstance(value, str) or not SLUG_RE.fullmatch(value) or len(value) > SLUG_MAX:
        problems.add(
            file,
            f"must be lowercase letters, digits and single dashes, at most {SLUG_MAX} characters",
            item=label,
            field=name,
        )
    else:
        return value
    return None


def _text(
    file: Path,
    label: str,
    raw: dict[Any, Any],
    name: str,
    max_len: int,
    problems: _Problems,
) -> str | None:
    value = raw.get(name)
    if value is None:
        problems.add(file, "required", item=label, field=name)
        return None
    if not isinstance(value, str):
        problems.add(file, "must be a string", item=label, field=name)
        return None
    # Folded YAML scalars end in a newline; the stored text never carries edge whitespace.
    value = value.strip()
    if not 1 <= len(value) <= max_len:
        problems.add(file, f"must be 1-{max_len} characters", item=label, field=name)
        return None
    return value


def _choice(
    file: Path,
    label: str,
    raw: dict[Any, Any],
    name: str,
    choices: tuple[str, ...],
    problems: _Problems,
) -> str | None:
    value = raw.get(name)
    if value is None:
        problems.add(file, "required", item=label, field=name)
    elif value not in choices:
        problems.add(file, f"must be one of {', '.join(choices)}", item=label, field=name)
    else:
        return str(value)
    return None


def _affirmation_items(
    file: Path, raw_items: Any, locale: str | None, problems: _Problems
) -> Iterable[AffirmationItem]:
    for label, raw in _items(file, raw_items, AFFIRMATIONS_KEY, "slug", problems):
        _check_unknown(file, label, raw, ("slug", "category", "text"), problems)
        slug = _slug(file, label, raw, "slug", problems)
        category = _choice(file, label, raw, "category", AFFIRMATION_CATEGORIES, problems)
        text = _text(file, label, raw, "text", TEXT_MAX, problems)
        if slug and category and text and locale:
            yield AffirmationItem(slug=slug, locale=locale, category=category, text=text)


def _template_items(
    file: Path, raw_items: Any, problems: _Problems
) -> Iterable[RitualTemplateItem]:
    allowed = ("key", "title", "description", "schedule", "completion", "reminder")
    for label, raw in _items(file, raw_items, TEMPLATES_KEY, "key", problems):
        _check_unknown(file, label, raw, allowed, problems)
        key = _slug(file, label, raw, "key", problems)
        title = _text(file, label, raw, "title", TITLE_MAX, problems)
        description = _text(file, label, raw, "description", TEXT_MAX, problems)
        completion = _choice(file, label, raw, "completion", COMPLETIONS, problems)
        schedule = _schedule(file, label, raw.get("schedule"), problems)
        reminder = _reminder(file, label, raw.get("reminder"), problems)
        if key and title and description and completion and schedule and reminder:
            yield RitualTemplateItem(
                key=key,
                title=title,
                description=description,
                days=schedule[0],
                time=schedule[1],
                completion=completion,
                reminder_enabled=reminder[0],
                reminder_minutes_before=reminder[1],
            )


def _schedule(
    file: Path, label: str, raw: Any, problems: _Problems
) -> tuple[tuple[str, ...], time] | None:
    if raw is None:
        problems.add(file, "required", item=label, field="schedule")
        return None
    if not isinstance(raw, dict):
        problems.add(file, "must be a mapping with days and time", item=label, field="schedule")
        return None
    for key in sorted(str(k) for k in raw if k not in ("days", "time")):
        problems.add(file, "unknown field", item=label, field=f"schedule.{key}")
    days = _days(file, label, raw.get("days"), problems)
    at = _time(file, label, raw.get("time"), problems)
    if days is None or at is None:
        return None
    return days, at


def _days(file: Path, label: str, raw: Any, problems: _Problems) -> tuple[str, ...] | None:
    field = "schedule.days"
    if raw is None:
        problems.add(file, "required", item=label, field=field)
        return None
    if not isinstance(raw, list) or not raw:
        problems.add(
            file, f"must be a non-empty list of {', '.join(DAYS)}", item=label, field=field
        )
        return None
    bad = [d for d in raw if d not in DAYS]
    if bad:
        problems.add(
            file,
            f"unknown day {bad[0]!r} (use {', '.join(DAYS)})",
            item=label,
            field=field,
        )
        return None
    if len(set(raw)) != len(raw):
        problems.add(file, "a day is listed twice", item=label, field=field)
        return None
    # Week order, so a reordered list in the file is not a change.
    return tuple(d for d in DAYS if d in raw)


def _time(file: Path, label: str, raw: Any, problems: _Problems) -> time | None:
    field = "schedule.time"
    if raw is None:
        problems.add(file, "required", item=label, field=field)
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        # YAML 1.1 reads an unquoted 18:30 as the sexagesimal number 1110.
        problems.add(file, 'must be a quoted "HH:MM" string', item=label, field=field)
        return None
    match = _TIME_RE.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        problems.add(file, 'must be a 24-hour "HH:MM" time', item=label, field=field)
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _reminder(file: Path, label: str, raw: Any, problems: _Problems) -> tuple[bool, int] | None:
    if raw is None:
        problems.add(file, "required", item=label, field="reminder")
        return None
    if not isinstance(raw, dict):
        problems.add(
            file, "must be a mapping with enabled and minutes_before", item=label, field="reminder"
        )
        return None
    for key in sorted(str(k) for k in raw if k not in ("enabled", "minutes_before")):
        problems.add(file, "unknown field", item=label, field=f"reminder.{key}")
    enabled = raw.get("enabled")
    minutes = raw.get("minutes_before")
    ok = True
    if not isinstance(enabled, bool):
        problems.add(file, "must be true or false", item=label, field="reminder.enabled")
        ok = False
    if (
        not isinstance(minutes, int)
        or isinstance(minutes, bool)
        or not 0 <= minutes <= MINUTES_BEFORE_MAX
    ):
        problems.add(
            file,
            f"must be a whole number from 0 to {MINUTES_BEFORE_MAX}",
            item=label,
            field="reminder.minutes_before",
        )
        ok = False
    return (enabled, minutes) if ok else None  # type: ignore[return-value]


def _check_affirmation_set(
    items: list[tuple[Path, AffirmationItem]], english: set[str] | None, problems: _Problems
) -> None:
    """Checks across files: unique slug per locale, one category per slug, translations of en."""
    seen: dict[tuple[str, str], Path] = {}
    category_of: dict[str, tuple[str, str]] = {}
    for file, item in items:
        label = f"item '{item.slug}'"
        first = seen.get((item.slug, item.locale))
        if first is not None:
            where = "earlier in this file" if first == file else f"in {first}"
            problems.add(file, f"duplicate slug (already used {where})", item=label, field="slug")
            continue
        seen[(item.slug, item.locale)] = file
        known = category_of.get(item.slug)
        if known is not None and known[0] != item.category:
            problems.add(
                file,
                f"is {item.category!r} but {known[0]!r} in locale {known[1]!r}"
                " (a slug has one category in every locale)",
                item=label,
                field="category",
            )
        elif known is None:
            category_of[item.slug] = (item.category, item.locale)

    # Only checkable when the English file is part of the set (english is None otherwise).
    if english is not None:
        for file, item in items:
            if item.locale != FALLBACK_LOCALE and item.slug not in english:
                problems.add(
                    file,
                    f"no {FALLBACK_LOCALE!r} affirmation has this slug"
                    " (a translation needs its English original)",
                    item=f"item '{item.slug}'",
                    field="slug",
                )


def _check_template_set(items: list[tuple[Path, RitualTemplateItem]], problems: _Problems) -> None:
    seen: dict[str, Path] = {}
    for file, tpl in items:
        first = seen.get(tpl.key)
        if first is not None:
            where = "earlier in this file" if first == file else f"in {first}"
            problems.add(
                file, f"duplicate key (already used {where})", item=f"item '{tpl.key}'", field="key"
            )
        else:
            seen[tpl.key] = file


class _QuestionFiles:
    """The question files of a set: read one by one, then checked across files."""

    def __init__(self) -> None:
        self.items: list[tuple[Path, QuestionItem]] = []
        self.locales: set[str] = set()
        self.english: set[str] = set()

    def read(self, file: Path, data: dict[Any, Any], problems: _Problems) -> None:
        """Validate one `locale: ..., questions: [...]` file and keep its valid items."""
        for key in sorted(str(k) for k in data if k not in ("locale", QUESTIONS_KEY)):
            problems.add(file, "unknown field", field=key)
        locale = data.get("locale")
        if locale is None:
            problems.add(file, "required", field="locale")
            locale = None
        elif locale not in LOCALES:
            problems.add(file, f"must be one of {', '.join(LOCALES)}", field="locale")
            locale = None
        else:
            self.locales.add(locale)
        raw_items = data.get(QUESTIONS_KEY)
        if locale == FALLBACK_LOCALE and isinstance(raw_items, list):
            self.english.update(
                r["slug"]
                for r in raw_items
                if isinstance(r, dict) and isinstance(r.get("slug"), str)
            )
        allowed = ("slug", "depth", "category", "text")
        for label, raw in _items(file, raw_items, QUESTIONS_KEY, "slug", problems):
            _check_unknown(file, label, raw, allowed, problems)
            slug = _slug(file, label, raw, "slug", problems)
            depth = _choice(file, label, raw, "depth", QUESTION_DEPTHS, problems)
            category = _choice(file, label, raw, "category", QUESTION_CATEGORIES, problems)
            text = _text(file, label, raw, "text", QUESTION_TEXT_MAX, problems)
            if slug and depth and category and text and locale:
                item = QuestionItem(slug, locale, depth, category, text)
                self.items.append((file, item))

    def check_set(self, problems: _Problems) -> None:
        """Unique slug per locale; one depth and category per slug; translations of en items."""
        seen: dict[tuple[str, str], Path] = {}
        kind_of: dict[str, tuple[str, str, str]] = {}
        for file, item in self.items:
            label = f"item '{item.slug}'"
            first = seen.get((item.slug, item.locale))
            if first is not None:
                where = "earlier in this file" if first == file else f"in {first}"
                problems.add(
                    file, f"duplicate slug (already used {where})", item=label, field="slug"
                )
                continue
            seen[(item.slug, item.locale)] = file
            known = kind_of.setdefault(item.slug, (item.depth, item.category, item.locale))
            for index, name in ((0, "depth"), (1, "category")):
                if known[index] != getattr(item, name):
                    problems.add(
                        file,
                        f"is {getattr(item, name)!r} but {known[index]!r} in locale {known[2]!r}"
                        f" (a question has one {name} in every locale)",
                        item=label,
                        field=name,
                    )
        if FALLBACK_LOCALE not in self.locales:
            return
        for file, item in self.items:
            if item.locale != FALLBACK_LOCALE and item.slug not in self.english:
                problems.add(
                    file,
                    f"no {FALLBACK_LOCALE!r} question has this slug"
                    " (a translation needs its English original)",
                    item=f"item '{item.slug}'",
                    field="slug",
                )


_HEADERS = {
    AFFIRMATIONS_KEY: (
        "# Hearth affirmation library (exported by `flask content export`).\n"
        "# Layout: locale: <code>; affirmations: a list of {slug, category, text}.\n"
        "# Slugs are stable identities; a removed item is retired on import.\n"
    ),
    TEMPLATES_KEY: (
        "# Hearth ritual templates (exported by `flask content export`).\n"
        "# Layout: ritual_templates: a list of {key, title, description,\n"
        '#   schedule: {days, time: "HH:MM"}, completion, reminder: {enabled, minutes_before}}.\n'
    ),
    QUESTIONS_KEY: (
        "# Hearth daily questions (exported by `flask content export`).\n"
        "# Layout: locale: <code>; questions: a list of {slug, depth: light|deeper|deep,\n"
        "#   category, text}. Slugs are stable identities; a removed item is retired on import.\n"
    ),
}


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def render_affirmations(locale: str, items: Iterable[AffirmationItem]) -> str:
    """YAML text of one locale's affirmation file, in the layout `load` reads."""
    body = {
        "locale": locale,
        AFFIRMATIONS_KEY: [
            {"slug": a.slug, "category": a.category, "text": a.text}
            for a in items
            if a.locale == locale
        ],
    }
    return _HEADERS[AFFIRMATIONS_KEY] + _dump(body)


def render_templates(items: Iterable[RitualTemplateItem]) -> str:
    """YAML text of the ritual templates file, in the layout `load` reads."""
    body = {
        TEMPLATES_KEY: [
            {
                "key": t.key,
                "title": t.title,
                "description": t.description,
                "schedule": {"days": list(t.days), "time": t.time.strftime("%H:%M")},
                "completion": t.completion,
                "reminder": {
                    "enabled": t.reminder_enabled,
                    "minutes_before": t.reminder_minutes_before,
                },
            }
            for t in items
        ]
    }
    return _HEADERS[TEMPLATES_KEY] + _dump(body)


def render_questions(locale: str, items: Iterable[QuestionItem]) -> str:
    """YAML text of one locale's question file, in the layout `load` reads."""
    body = {
        "locale": locale,
        QUESTIONS_KEY: [
            {"slug": q.slug, "depth": q.depth, "category": q.category, "text": q.text}
            for q in items
            if q.locale == locale
        ],
    }
    return _HEADERS[QUESTIONS_KEY] + _dump(body)
