"""ritual calendar: follows_couple, schedule history, reminders keyed by ritual day

Revision ID: c4a1e0d7b2f9
Revises: 7c3d9e1f2a64
Create Date: 2026-11-30 13:10:00

Rituals whose zone equals their couple's become followers of the couple's zone. The others
keep their zone as an explicit choice: nothing stored says whether it was typed or inherited
from an earlier couple zone, and following by mistake would move a reminder a couple set on
purpose, while keeping it is exactly today's behaviour (no one's reminder moves by surprise).
Each ritual gets one schedule row in force "since always" (its schedule as it stands).
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a1e0d7b2f9'
down_revision = '7c3d9e1f2a64'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rituals', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('follows_couple', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('next_fire_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reminded_through', sa.Date(), nullable=True))
    op.create_table(
        'ritual_schedules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ritual_id', sa.Integer(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('days', sa.JSON(), nullable=False),
        sa.Column('time', sa.Time(), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('day_starts_at', sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(['ritual_id'], ['rituals.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ritual_id', 'effective_from'),
    )
    op.execute(
        "UPDATE rituals SET follows_couple = "
        "(timezone = (SELECT couples.timezone FROM couples WHERE couples.id = rituals.couple_id))"
    )
    op.execute(
        "INSERT INTO ritual_schedules (ritual_id, effective_from, days, time, timezone, "
        "day_starts_at) SELECT rituals.id, '1970-01-01', rituals.days, rituals.time, "
        "rituals.timezone, couples.day_starts_at FROM rituals "
        "JOIN couples ON couples.id = rituals.couple_id"
    )


def downgrade():
    op.drop_table('ritual_schedules')
    with op.batch_alter_table('rituals', schema=None) as batch_op:
        batch_op.drop_column('reminded_through')
        batch_op.drop_column('next_fire_day')
        batch_op.drop_column('follows_couple')
