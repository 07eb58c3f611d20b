"""client_id is the couple's on check-ins and question answers too (api/idempotency.py)

check_ins had its key on (user_id, client_id) and question_answers had none, so the partner's
phone could make a row under a client_id already used: both now carry their couple_id with a
unique key on (couple_id, client_id), as rituals, moods, memories, affirmations and gratitude
entries do.

Revision ID: d2b6f1a9c370
Revises: a7c2e4f61b38
Create Date: 2027-01-10 10:00:00

"""
import uuid

import sqlalchemy as sa

from alembic import op

revision = 'd2b6f1a9c370'
down_revision = 'a7c2e4f61b38'
branch_labels = None
depends_on = None

# table -> (its parent, the parent's key column in it)
TABLES = {
    'check_ins': ('rituals', 'ritual_id'),
    'question_answers': ('couple_questions', 'couple_question_id'),
}


def _fresh_ids_for_duplicates(table):
    """Rows that share a couple's client_id (what the old keys let in): all but the first get
    a new one, so the unique key can be made; a late retry of theirs then answers 409."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT id FROM {table} t WHERE EXISTS (SELECT 1 FROM {table} o"
            " WHERE o.couple_id = t.couple_id AND o.client_id = t.client_id AND o.id < t.id)"
        )
    ).scalars().all()
    for row_id in rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET client_id = :client_id WHERE id = :id"),
            {"client_id": str(uuid.uuid4()), "id": row_id},
        )


def upgrade():
    for table, (parent, key) in TABLES.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('couple_id', sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET couple_id ="
            f" (SELECT couple_id FROM {parent} WHERE {parent}.id = {table}.{key})"
        )
        _fresh_ids_for_duplicates(table)
        with op.batch_alter_table(table) as batch:
            batch.alter_column('couple_id', existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(
                op.f(f'fk_{table}_couple_id_couples'),
                'couples',
                ['couple_id'],
                ['id'],
                ondelete='CASCADE',
            )
            if table == 'check_ins':
                batch.drop_constraint('uq_check_ins_user_id_client_id', type_='unique')
            batch.create_unique_constraint(
                op.f(f'uq_{table}_couple_id_client_id'), ['couple_id', 'client_id']
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'uq_{table}_couple_id_client_id'), type_='unique')
            if table == 'check_ins':
                batch.create_unique_constraint(
                    'uq_check_ins_user_id_client_id', ['user_id', 'client_id']
                )
            batch.drop_constraint(op.f(f'fk_{table}_couple_id_couples'), type_='foreignkey')
            batch.drop_column('couple_id')
