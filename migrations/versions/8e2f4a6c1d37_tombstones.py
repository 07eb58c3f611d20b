"""tombstones: client_ids of deleted gratitude entries and memories (a late replay is a 404)

Revision ID: 8e2f4a6c1d37
Revises: 5b1e7d3c9a28
Create Date: 2026-12-01 14:00:00

"""
import sqlalchemy as sa

import api.extensions
from alembic import op

revision = '8e2f4a6c1d37'
down_revision = '5b1e7d3c9a28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tombstones',
        sa.Column('couple_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('deleted_at', api.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('couple_id', 'kind', 'client_id'),
    )


def downgrade():
    op.drop_table('tombstones')
