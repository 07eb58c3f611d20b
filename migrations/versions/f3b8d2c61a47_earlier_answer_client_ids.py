"""earlier_answer_client_ids: the client_ids an answer was written under before its edits

A question answer kept only its latest write's client_id, so a late retry of an earlier write
looked new and undid the edit. Each edit now keeps the client_id it replaces here, so any
earlier write of the answer replays (200, nothing changed) and the partner's reuse is a 409.

Revision ID: f3b8d2c61a47
Revises: d2b6f1a9c370
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3b8d2c61a47'
down_revision = 'd2b6f1a9c370'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'earlier_answer_client_ids',
        sa.Column('couple_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['couple_id'], ['couples.id'],
            name=op.f('fk_earlier_answer_client_ids_couple_id_couples'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['answer_id'], ['question_answers.id'],
            name=op.f('fk_earlier_answer_client_ids_answer_id_question_answers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('couple_id', 'client_id', name=op.f('pk_earlier_answer_client_ids')),
    )
    op.create_index(
        op.f('ix_earlier_answer_client_ids_answer_id'),
        'earlier_answer_client_ids',
        ['answer_id'],
        unique=False,
    )


def downgrade():
    op.drop_index(
        op.f('ix_earlier_answer_client_ids_answer_id'), table_name='earlier_answer_client_ids'
    )
    op.drop_table('earlier_answer_client_ids')
