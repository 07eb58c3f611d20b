"""second wave: preference switches for questions, moods, memories, recaps

Revision ID: 0b7e1c2d3f40
Revises: 34d676a0d088
Create Date: 2026-11-30 13:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0b7e1c2d3f40'
down_revision = '34d676a0d088'
branch_labels = None
depends_on = None

NEW = ('notify_daily_question', 'notify_moods', 'notify_memories', 'notify_recap')


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        for name in NEW:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true())
            )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        for name in reversed(NEW):
            batch_op.drop_column(name)
