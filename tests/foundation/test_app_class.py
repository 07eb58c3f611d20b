"""HearthFlask remembers whether a hook is a coroutine function, and still runs async ones."""

from __future__ import annotations

from flask import Flask
from flask.views import MethodView

from api.app_class import HearthFlask, _is_async


def test_the_app_is_hearths_flask(app: Flask) -> None:
    assert isinstance(app, HearthFlask)


def test_a_sync_function_is_returned_as_is(app: Flask) -> None:
    def hook() -> None:
        return None

    assert app.ensure_sync(hook) is hook


def test_a_coroutine_function_still_goes_through_async_to_sync(app: Flask, monkeypatch) -> None:
    wrapped: list[object] = []
    monkeypatch.setattr(app, "async_to_sync", lambda func: wrapped.append(func) or "wrapped")

    async def view() -> None:
        return None

    class View(MethodView):
        async def get(self) -> None:
            return None

    assert app.ensure_sync(view) == "wrapped"
    method = View().get
    assert app.ensure_sync(method) == "wrapped"
    assert wrapped == [view, method]


def test_bound_methods_are_remembered_by_their_function_not_per_instance(app: Flask) -> None:
    class View(MethodView):
        def get(self) -> None:
            return None

    before = _is_async.cache_info().currsize
    for _ in range(50):  # a MethodView makes a new instance, so a new bound method, per request
        method = View().get
        assert app.ensure_sync(method) is method
    assert _is_async.cache_info().currsize <= before + 1
