"""moods and needs, the weekly recap's schedule

Revision ID: 7d3c5e9a1b24
Revises: e4a1c9b07d52
Create Date: 2026-11-30 13:40:00

"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from api.extensions import UTCDateTime


revision = "7d3c5e9a1b24"
down_revision = "e4a1c9b07d52"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("wish", sa.String(length=200), nullable=False),
        sa.Column("suggestion", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
        sa.UniqueConstraint("slug", "locale", name=op.f("uq_needs_slug_locale")),
    )
    op.create_table(
        "mood_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_mood_entries_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mood_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mood_entries")),
        sa.UniqueConstraint(
            "couple_id", "client_id", name=op.f("uq_mood_entries_couple_id_client_id")
        ),
    )
    op.create_index("ix_mood_entries_history", "mood_entries", ["couple_id", "user_id", "id"])
    op.create_index("ix_mood_entries_day", "mood_entries", ["couple_id", "local_date"])
    op.create_index("ix_mood_entries_week", "mood_entries", ["couple_id", "week_start"])
    op.create_table(
        "mood_entry_needs",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["mood_entries.id"],
            name=op.f("fk_mood_entry_needs_entry_id_mood_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "slug", name=op.f("pk_mood_entry_needs")),
    )
    op.create_table(
        "recap_schedules",
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("next_recap_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_week", sa.Date(), nullable=True),
        sa.Column("next_snapshot_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_recap_schedules_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("couple_id", name=op.f("pk_recap_schedules")),
    )
    op.create_index(op.f("ix_recap_schedules_next_recap_at"), "recap_schedules", ["next_recap_at"])
    op.create_index(
        op.f("ix_recap_schedules_next_snapshot_at"), "recap_schedules", ["next_snapshot_at"]
    )
    op.create_table(
        "recap_streaks",
        sa.Column("ritual_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ritual_id"],
            ["rituals.id"],
            name=op.f("fk_recap_streaks_ritual_id_rituals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ritual_id", "week_start", name=op.f("pk_recap_streaks")),
    )
    # The recap reads affirmations and gratitude by week (declared in api/recaps/models.py).
    op.create_index(
        "ix_affirmation_messages_couple_created",
        "affirmation_messages",
        ["couple_id", "created_at"],
    )
    op.create_index(
        "ix_gratitude_entries_couple_created", "gratitude_entries", ["couple_id", "created_at"]
    )
    # Couples paired before this release: due now, so the first tick files each one under its
    # own Sunday 19:00 (it sends only if that is within the late limit, else waits a week).
    op.execute(
        sa.text(
            "INSERT INTO recap_schedules (couple_id, next_recap_at, next_snapshot_at) "
            "SELECT id, :stamp, :stamp FROM couples WHERE unpaired_at IS NULL"
        ).bindparams(
            sa.bindparam(
                "stamp", type_=UTCDateTime(timezone=True), value=datetime.now(timezone.utc)
            )
        )
    )


def downgrade():
    op.drop_table("recap_streaks")
    op.drop_index(op.f("ix_recap_schedules_next_snapshot_at"), table_name="recap_schedules")
    op.drop_index("ix_gratitude_entries_couple_created", table_name="gratitude_entries")
    op.drop_index("ix_affirmation_messages_couple_created", table_name="affirmation_messages")
    op.drop_index(op.f("ix_recap_schedules_next_recap_at"), table_name="recap_schedules")
    op.drop_table("recap_schedules")
    op.drop_table("mood_entry_needs")
    op.drop_index("ix_mood_entries_week", table_name="mood_entries")
    op.drop_index("ix_mood_entries_day", table_name="mood_entries")
    op.drop_index("ix_mood_entries_history", table_name="mood_entries")
    op.drop_table("mood_entries")
    op.drop_table("needs")
