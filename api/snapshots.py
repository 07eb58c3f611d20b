"""Frozen copies of a model's row: what a request that only reads gets instead of ORM objects.

Loading an ORM object costs instance state, the identity map and attribute instrumentation on
every column; for the auth step's user and couple that was about a tenth of a one-query read.
A snapshot is a frozen dataclass with the model's column attributes, filled from a Core row
(no ORM entity in the SELECT): assigning to one raises, so a read that tried to write through
it fails loudly instead of writing nothing.
"""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any

from sqlalchemy import Column


def mapped_columns(model: type[Any]) -> list[tuple[str, Column[Any]]]:
    """The model's column attributes as (attribute name, table column), in mapper order."""
    # The mapper's own columns, not inspect().column_attrs: that configures every mapper
    # known so far, which at a model module's import can name a class not imported yet.
    return list(model.__mapper__.columns.items())


def snapshot_class(model: type[Any], *bases: type) -> type:
    """A frozen dataclass ``<Model>Snapshot`` with the model's column attributes (and bases')."""
    names = [name for name, _ in mapped_columns(model)]
    cls = make_dataclass(f"{model.__name__}Snapshot", names, bases=bases, frozen=True, slots=True)
    cls.__module__ = model.__module__
    return cls
