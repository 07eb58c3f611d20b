"""one affirmation id across locales: texts per locale move to affirmation_texts

Revision ID: 3a9f1c7e5b20
Revises: c4a1e0d7b2f9
Create Date: 2026-11-30 13:30:00

Each slug keeps one affirmations row (its English row's id when it has one, else its oldest),
so the id a client holds is the same in every language; the words of every locale move to
affirmation_texts. Messages that pointed at a translated row now point at the slug's row.
"""
import sqlalchemy as sa
from alembic import op

import api.extensions

revision = '3a9f1c7e5b20'
down_revision = 'c4a1e0d7b2f9'
branch_labels = None
depends_on = None


def upgrade():
    # The canonical row of each slug: its en row, else its oldest.
    op.execute("""
        CREATE TEMPORARY TABLE affirmation_canon AS
        SELECT a.id AS id, COALESCE(
            (SELECT e.id FROM affirmations e WHERE e.slug = a.slug AND e.locale = 'en'),
            (SELECT MIN(o.id) FROM affirmations o WHERE o.slug = a.slug)
        ) AS canon_id
        FROM affirmations a
    """)
    op.execute("""
        CREATE TEMPORARY TABLE affirmation_texts_stage AS
        SELECT c.canon_id AS affirmation_id, a.locale, a.text, a.created_at, a.updated_at,
               a.retired_at, a.id AS old_id
        FROM affirmations a JOIN affirmation_canon c ON c.id = a.id
    """)
    op.execute("""
        CREATE TEMPORARY TABLE affirmation_links_stage AS
        SELECT m.id AS message_id, c.canon_id AS affirmation_id
        FROM affirmation_messages m JOIN affirmation_canon c ON c.id = m.affirmation_id
    """)
    # The slug's row stays live while any of its texts is.
    op.execute("""
        UPDATE affirmations SET retired_at = NULL WHERE id IN (
            SELECT affirmation_id FROM affirmation_texts_stage WHERE retired_at IS NULL
        )
    """)
    op.execute("DELETE FROM affirmations WHERE id NOT IN (SELECT canon_id FROM affirmation_canon)")

    # On SQLite this rebuilds the table, and dropping the old one sets the messages' links to
    # NULL (ON DELETE SET NULL): they are restored from the stage below.
    with op.batch_alter_table('affirmations', schema=None) as batch_op:
        batch_op.drop_index('ix_affirmations_library')
        batch_op.drop_constraint('uq_affirmations_slug_locale', type_='unique')
        batch_op.drop_column('locale')
        batch_op.drop_column('text')
        batch_op.create_unique_constraint(batch_op.f('uq_affirmations_slug'), ['slug'])
    op.execute("""
        UPDATE affirmation_messages SET affirmation_id = (
            SELECT s.affirmation_id FROM affirmation_links_stage s
            WHERE s.message_id = affirmation_messages.id
        ) WHERE id IN (SELECT message_id FROM affirmation_links_stage)
    """)

    op.create_table('affirmation_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('affirmation_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_at', api.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', api.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['affirmation_id'], ['affirmations.id'], name=op.f('fk_affirmation_texts_affirmation_id_affirmations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affirmation_texts')),
    sa.UniqueConstraint('affirmation_id', 'locale', name=op.f('uq_affirmation_texts_affirmation_id_locale'))
    )
    with op.batch_alter_table('affirmation_texts', schema=None) as batch_op:
        batch_op.create_index('ix_affirmation_texts_library', ['locale', 'retired_at', 'affirmation_id'], unique=False)
    op.execute("""
        INSERT INTO affirmation_texts (affirmation_id, locale, text, created_at, updated_at, retired_at)
        SELECT affirmation_id, locale, text, created_at, updated_at, retired_at
        FROM affirmation_texts_stage ORDER BY old_id
    """)
    for stage in ('affirmation_canon', 'affirmation_texts_stage', 'affirmation_links_stage'):
        op.execute(f"DROP TABLE {stage}")


def downgrade():
    # Staged first: rebuilding affirmations on SQLite would cascade into its children.
    op.execute("""
        CREATE TEMPORARY TABLE affirmation_links_stage AS
        SELECT id AS message_id, affirmation_id FROM affirmation_messages
        WHERE affirmation_id IS NOT NULL
    """)
    op.execute("""
        CREATE TEMPORARY TABLE affirmation_texts_stage AS
        SELECT t.id, t.affirmation_id, t.locale, t.text, t.created_at, t.updated_at,
               t.retired_at, a.slug, a.category
        FROM affirmation_texts t JOIN affirmations a ON a.id = t.affirmation_id
    """)
    with op.batch_alter_table('affirmation_texts', schema=None) as batch_op:
        batch_op.drop_index('ix_affirmation_texts_library')
    op.drop_table('affirmation_texts')

    with op.batch_alter_table('affirmations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_affirmations_slug'), type_='unique')
        batch_op.add_column(sa.Column('text', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=False, server_default='en'))
    # The en text (else the oldest) goes back into the slug's row; other locales get new rows.
    first = """(SELECT t.{column} FROM affirmation_texts_stage t
                WHERE t.affirmation_id = affirmations.id
                ORDER BY CASE WHEN t.locale = 'en' THEN 0 ELSE 1 END, t.id LIMIT 1)"""
    op.execute(
        f"UPDATE affirmations SET locale = {first.format(column='locale')},"
        f" text = {first.format(column='text')}"
    )
    op.execute("""
        INSERT INTO affirmations (slug, locale, category, text, created_at, updated_at, retired_at)
        SELECT t.slug, t.locale, t.category, t.text, t.created_at, t.updated_at, t.retired_at
        FROM affirmation_texts_stage t JOIN affirmations a ON a.id = t.affirmation_id
        WHERE t.locale <> a.locale
        ORDER BY t.id
    """)
    with op.batch_alter_table('affirmations', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_affirmations_slug_locale'), ['slug', 'locale'])
        batch_op.create_index('ix_affirmations_library', ['locale', 'retired_at', 'slug'], unique=False)
    op.execute("""
        UPDATE affirmation_messages SET affirmation_id = (
            SELECT s.affirmation_id FROM affirmation_links_stage s
            WHERE s.message_id = affirmation_messages.id
        ) WHERE id IN (SELECT message_id FROM affirmation_links_stage)
    """)
    for stage in ('affirmation_links_stage', 'affirmation_texts_stage'):
        op.execute(f"DROP TABLE {stage}")
