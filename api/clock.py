"""The one source of "now", so tests can fix the clock instead of racing it."""

from __future__ import annotations

from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    """The current instant, aware and in UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def set_fixed(instant: datetime | None) -> None:
    """Fix the clock at an aware instant (tests only); None releases it."""
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the fixed clock needs an aware datetime")
    global _fixed
    _fixed = instant.astimezone(UTC) if instant is not None else None
