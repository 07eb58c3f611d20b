"""notifications: the couple each push is about

A push about a couple is sent only while its recipient is still in that couple: not after an
unpair, and not after pairing anew (a push held back by quiet hours until then).

Revision ID: 5b1e7d3c9a28
Revises: 7c2e9b4d1a63
Create Date: 2026-12-01 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5b1e7d3c9a28'
down_revision = '7c2e9b4d1a63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('couple_id', sa.Integer(), nullable=True))
    # Pending pushes written before this revision: about the couple their recipient is in now
    # (what the delivery checked until then); one to a recipient in none is not sent.
    op.execute(
        "UPDATE notifications SET couple_id = "
        "(SELECT users.couple_id FROM users WHERE users.id = notifications.recipient_id) "
        "WHERE status = 'pending' AND category <> 'pairing'"
    )
    op.execute(
        "UPDATE notifications SET status = 'suppressed', last_error = 'couple unpaired' "
        "WHERE status = 'pending' AND category <> 'pairing' AND couple_id IS NULL"
    )


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('couple_id')
