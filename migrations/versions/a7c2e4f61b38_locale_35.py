"""users.locale holds 35 characters, as RFC 5646 asks of a tag store (es-ES-u-rg-mxzzzz: 17)

Revision ID: a7c2e4f61b38
Revises: 8e2f4a6c1d37
Create Date: 2026-12-01 16:20:00

"""
import sqlalchemy as sa

from alembic import op

revision = 'a7c2e4f61b38'
down_revision = '8e2f4a6c1d37'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite rebuilds the table (its CREATE TABLE keeps AUTOINCREMENT through
    # api/sqlite_ids.py, as in e4a1c9b07d52); PostgreSQL alters the column in place.
    with op.batch_alter_table('users') as batch:
        batch.alter_column(
            'locale',
            type_=sa.String(length=35),
            existing_type=sa.String(length=16),
            existing_nullable=False,
        )


def downgrade():
    # A longer tag keeps its language: es-ES-u-rg-mxzzzz -> es (pushes read the language).
    if op.get_bind().dialect.name == 'sqlite':
        language = "substr(locale, 1, instr(locale || '-', '-') - 1)"
    else:
        language = "split_part(locale, '-', 1)"
    op.execute(f"UPDATE users SET locale = {language} WHERE length(locale) > 16")
    with op.batch_alter_table('users') as batch:
        batch.alter_column(
            'locale',
            type_=sa.String(length=16),
            existing_type=sa.String(length=35),
            existing_nullable=False,
        )
