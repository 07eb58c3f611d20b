"""SQLite: rebuild every table with a generated integer id as AUTOINCREMENT (ids never reused)

Revision ID: e4a1c9b07d52
Revises: 0b7e1c2d3f40
Create Date: 2026-11-30 13:40:00

On SQLite a table without AUTOINCREMENT gives the id of a deleted last row to the next insert.
Tables created from now on get AUTOINCREMENT from api/sqlite_ids.py (a CREATE TABLE compile
hook); this rebuilds the existing ones through batch mode, whose CREATE TABLE goes through the
same hook. PostgreSQL's sequences never reuse an id: nothing to do there. migrations/env.py
turns SQLite's foreign keys off around migrations, so dropping the old table cascades nothing.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e4a1c9b07d52'
down_revision = '0b7e1c2d3f40'
branch_labels = None
depends_on = None


def _tables_with_generated_ids(bind):
    inspector = sa.inspect(bind)
    for name in sorted(inspector.get_table_names()):
        if name == 'alembic_version':
            continue
        key = inspector.get_pk_constraint(name)['constrained_columns']
        columns = {c['name']: c for c in inspector.get_columns(name)}
        foreign = {c for fk in inspector.get_foreign_keys(name) for c in fk['constrained_columns']}
        if (
            len(key) == 1
            and isinstance(columns[key[0]]['type'], sa.Integer)
            and key[0] not in foreign
        ):
            yield name


def _autoincrement(bind, name):
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).scalar_one()
    return 'AUTOINCREMENT' in sql.upper()


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    for name in list(_tables_with_generated_ids(bind)):
        if _autoincrement(bind, name):
            continue
        with op.batch_alter_table(
            name, recreate='always', table_kwargs={'sqlite_autoincrement': True}
        ):
            pass


def downgrade():
    # AUTOINCREMENT is only a promise not to reuse ids: keeping it on the way down loses nothing.
    pass
