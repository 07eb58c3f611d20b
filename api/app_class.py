"""Hearth's Flask class: Flask, minus a per-hook cost that Hearth's sync-only code never needs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask


@functools.lru_cache(maxsize=4096)  # bounded: keyed on functions, which a process defines once
def _is_async(function: Callable[..., Any]) -> bool:
    return iscoroutinefunction(function)


class HearthFlask(Flask):
    """Flask whose ensure_sync remembers, per function, whether it is a coroutine function.

    Flask asks inspect.iscoroutinefunction for every hook and view of every request (about
    fifteen per Hearth request, some 4% of a small read's CPU). The answer never changes for
    a function, so it is looked up once. Bound methods are keyed by their function: a
    MethodView makes a new bound method per request.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """func itself, or func wrapped to run synchronously when it is a coroutine function."""
        try:
            is_async = _is_async(getattr(func, "__func__", func))
        except TypeError:  # an unhashable callable: asked each time, as Flask does
            is_async = iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func
