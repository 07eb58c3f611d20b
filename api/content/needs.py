"""The needs vocabulary as content: `content/needs/<locale>.yaml` (read, checked, rendered).

Pure, like the loader it plugs into: no database, no Flask. The layout is documented at the
top of content/needs/en.yaml.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.content.loader import (
    FALLBACK_LOCALE,
    LOCALES,
    _check_unknown,
    _dump,
    _items,
    _Problems,
    _slug,
    _text,
)

NEEDS_KEY = "needs"
LABEL_MAX = 80
WISH_MAX = 200
SUGGESTION_MAX = 300
NAME_PLACEHOLDER = "{name}"
# The needs API.md names: the English file must keep offering each of them.
REQUIRED_SLUGS = (
    "heard",
    "touched",
    "considered",
    "encouraged",
    "nurtured",
    "accepted",
    "understood",
    "forgiven",
    "space",
)

_HEADER = (
    "# Hearth needs vocabulary (exported by `flask content export`).\n"
    "# Layout: locale: <code>; needs: a list of {slug, label, wish, suggestion};\n"
    "# wish holds {name} once (the partner's push title). A removed need is retired on import.\n"
)


@dataclass(frozen=True)
class NeedItem:
    """One need in one locale; position is its place in the file (the order the app shows)."""

    slug: str
    locale: str
    label: str
    wish: str
    suggestion: str
    position: int


def read_needs_file(
    file: Path, data: dict[Any, Any], problems: _Problems
) -> tuple[str | None, list[NeedItem]]:
    """(locale, items) of one needs file; every problem found is added to problems."""
    for key in sorted(str(k) for k in data if k not in ("locale", NEEDS_KEY)):
        problems.add(file, "unknown field", field=key)
    locale = data.get("locale")
    if locale is None:
        problems.add(file, "required", field="locale")
        locale = None
    elif locale not in LOCALES:
        problems.add(file, f"must be one of {', '.join(LOCALES)}", field="locale")
        locale = None
    items: list[NeedItem] = []
    for position, (label, raw) in enumerate(
        _items(file, data.get(NEEDS_KEY), NEEDS_KEY, "slug", problems)
    ):
        _check_unknown(file, label, raw, ("slug", "label", "wish", "suggestion"), problems)
        slug = _slug(file, label, raw, "slug", problems)
        name = _text(file, label, raw, "label", LABEL_MAX, problems)
        wish = _text(file, label, raw, "wish", WISH_MAX, problems)
        suggestion = _text(file, label, raw, "suggestion", SUGGESTION_MAX, problems)
        if wish is not None and wish.count(NAME_PLACEHOLDER) != 1:
            problems.add(
                file, f"must contain {NAME_PLACEHOLDER} exactly once", item=label, field="wish"
            )
            wish = None
        if slug and name and wish and suggestion and locale:
            items.append(NeedItem(slug, str(locale), name, wish, suggestion, position))
    return (str(locale) if locale else None), items


def check_needs_set(
    items: list[tuple[Path, NeedItem]], locales: set[str], problems: _Problems
) -> None:
    """Checks across files: one slug per locale, translations of en, the required slugs in en."""
    seen: dict[tuple[str, str], Path] = {}
    for file, item in items:
        first = seen.get((item.slug, item.locale))
        if first is not None:
            where = "earlier in this file" if first == file else f"in {first}"
            problems.add(
                file,
                f"duplicate slug (already used {where})",
                item=f"item '{item.slug}'",
                field="slug",
            )
        else:
            seen[(item.slug, item.locale)] = file
    if FALLBACK_LOCALE not in locales:
        return  # translations are checkable only against an English file in the same set
    english = {item.slug for _, item in items if item.locale == FALLBACK_LOCALE}
    english_file = next((f for f, i in items if i.locale == FALLBACK_LOCALE), None)
    for file, item in items:
        if item.locale != FALLBACK_LOCALE and item.slug not in english:
            problems.add(
                file,
                f"no {FALLBACK_LOCALE!r} need has this slug"
                " (a translation needs its English original)",
                item=f"item '{item.slug}'",
                field="slug",
            )
    for slug in REQUIRED_SLUGS:
        if slug not in english and english_file is not None:
            problems.add(english_file, f"the need {slug!r} is required (API.md)", field=NEEDS_KEY)


def render_needs(locale: str, items: Iterable[NeedItem]) -> str:
    """YAML text of one locale's needs file, in the layout the loader reads."""
    body = {
        "locale": locale,
        NEEDS_KEY: [
            {"slug": n.slug, "label": n.label, "wish": n.wish, "suggestion": n.suggestion}
            for n in sorted(items, key=lambda n: n.position)
            if n.locale == locale
        ],
    }
    return _HEADER + _dump(body)
