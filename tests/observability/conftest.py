"""A log capture that formats records as production does (JSON, with the context filter)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from api.observability.logs import ContextFilter, make_formatter


@pytest.fixture
def log_lines() -> Iterator[Callable[..., list[dict[str, object]]]]:
    """Every line logged during the test, parsed from the JSON format (root at INFO)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter("json"))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines(logger: str | None = None) -> list[dict[str, object]]:
        parsed = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
        return [p for p in parsed if logger is None or p["logger"] == logger]

    lines.raw = stream.getvalue  # type: ignore[attr-defined]
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)
