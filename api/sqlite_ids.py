"""On SQLite, every table whose key is a generated integer is created with AUTOINCREMENT.

Without it SQLite hands the id of a deleted last row to the next insert, so an old push, a
cursor or a cached id in an app could name a new, unrelated row. PostgreSQL's identity
sequences never go back; AUTOINCREMENT makes SQLite behave the same. Done at DDL compile
time, so `create_all`, every migration's `op.create_table` and batch-mode table rebuilds all
get it without anyone remembering a table argument.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable


def generates_integer_ids(table: Table) -> bool:
    """Whether table's primary key is one integer column the database generates."""
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        return False
    column = columns[0]
    return issubclass(column.type._type_affinity, Integer) and not column.foreign_keys


@compiles(CreateTable, "sqlite")
def _create_table_with_autoincrement(create: CreateTable, compiler: Any, **kw: Any) -> str:
    table = create.element
    if generates_integer_ids(table):
        table.dialect_kwargs["sqlite_autoincrement"] = True
    return compiler.visit_create_table(create, **kw)
