"""ritual templates (content managed by `flask content import`)

Revision ID: b41c7e2d9a10
Revises: 5f8e0a5f7fe7
Create Date: 2026-11-21 22:45:03.733001

"""
from alembic import op
import sqlalchemy as sa
import api.extensions


# revision identifiers, used by Alembic.
revision = 'b41c7e2d9a10'
down_revision = '5f8e0a5f7fe7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ritual_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('schedule_days', sa.JSON(), nullable=False),
    sa.Column('schedule_time', sa.Time(), nullable=False),
    sa.Column('completion', sa.String(length=8), nullable=False),
    sa.Column('reminder_enabled', sa.Boolean(), nullable=False),
    sa.Column('reminder_minutes_before', sa.Integer(), nullable=False),
    sa.Column('retired_at', api.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ritual_templates')),
    sa.UniqueConstraint('key', name=op.f('uq_ritual_templates_key'))
    )


def downgrade():
    op.drop_table('ritual_templates')
