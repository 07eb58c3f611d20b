"""Pairing tests: each starts with empty rate-limit counters (they count in real time)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.extensions import limiter


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()
