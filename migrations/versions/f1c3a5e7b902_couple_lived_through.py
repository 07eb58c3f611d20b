"""couples.lived_through and moved_at: the day the couple was on at its last calendar change

Revision ID: f1c3a5e7b902
Revises: f3b8d2c61a47
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa
import api.extensions


revision = 'f1c3a5e7b902'
down_revision = 'f3b8d2c61a47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('couples') as batch_op:
        batch_op.add_column(sa.Column('lived_through', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('moved_at', api.extensions.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('couples') as batch_op:
        batch_op.drop_column('moved_at')
        batch_op.drop_column('lived_through')
