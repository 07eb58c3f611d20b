"""ritual templates: title and description per locale

Revision ID: 7c2e9b4d1a63
Revises: 3a9f1c7e5b20
Create Date: 2026-11-30 13:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c2e9b4d1a63'
down_revision = '3a9f1c7e5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ritual_templates', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('translations', sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade():
    with op.batch_alter_table('ritual_templates', schema=None) as batch_op:
        batch_op.drop_column('translations')
