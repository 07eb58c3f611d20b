"""daily quotas: per-user daily counters behind the abuse limits

Revision ID: c4d9e2a7b15f
Revises: c3a9e4d71b52
Create Date: 2026-11-30 13:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4d9e2a7b15f'
down_revision = 'c3a9e4d71b52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'daily_quotas',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_daily_quotas_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'scope', 'day', name=op.f('pk_daily_quotas')),
    )


def downgrade():
    op.drop_table('daily_quotas')
