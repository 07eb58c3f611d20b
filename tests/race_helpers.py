"""meanwhile(): hold this thread's statement while another request runs (test_photo_races.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

HOLD_S = 1.0


@contextmanager
def meanwhile(
    action: Callable[[], Any], *, before: str, after: bool = False
) -> Iterator[list[Any]]:
    """Run action() in a thread when this thread is about to send (after=True: has just sent)
    a statement starting with `before`, holding this thread up to HOLD_S for it."""
    results: list[Any] = []
    threads: list[threading.Thread] = []
    here = threading.get_ident()

    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == here and not threads and statement.startswith(before):
            thread = threading.Thread(target=lambda: results.append(action()))
            threads.append(thread)
            thread.start()
            thread.join(HOLD_S)

    hook = "after_cursor_execute" if after else "before_cursor_execute"
    event.listen(Engine, hook, hold)
    try:
        yield results
    finally:
        event.remove(Engine, hook, hold)
        for thread in threads:
            thread.join(30)
    assert threads, f"no statement began with {before!r}"
