"""The request arguments every view declares with @blp.arguments, read from flask-smorest's doc."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask

METHODS = ("get", "post", "put", "patch", "delete")


def view_arguments(app: Flask) -> Iterator[tuple[str, dict[str, Any]]]:
    """("<endpoint> <handler>", argument) for each @blp.arguments of each view of app.

    argument is flask-smorest's record: "in" (json, query, ...) and "schema" (as declared).
    """
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        handlers = [getattr(view_class, m, None) for m in METHODS] if view_class else [view]
        for handler in filter(None, handlers):
            doc = getattr(handler, "_apidoc", {})
            for argument in doc.get("arguments", {}).get("parameters", []):
                yield f"{endpoint} {handler.__name__}", argument
