"""time: a job's DST policy, excluded calendars, on_excluded, jitter and schedule_since; stored calendars

Revision ID: 5b1e7c3a9d20
Revises: 5b1e0c7d2a94
Create Date: 2026-11-29 10:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1e7c3a9d20"
down_revision = "5b1e0c7d2a94"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendars",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("subdivision", sa.String(length=64), nullable=True),
        sa.Column("dates", sa.JSON(), nullable=False),
        sa.Column("weekends", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.create_index("ix_calendars_owner", ["owner_id", "id"], unique=False)

    # Existing jobs keep the rule they always had: first occurrence, shift, no calendars, no jitter.
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "dst_policy", sa.JSON(), nullable=False, server_default='{"fold": "first", "gap": "shift"}'
            )
        )
        batch_op.add_column(sa.Column("exclude_calendars", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("on_excluded", sa.String(length=24), nullable=False, server_default="skip")
        )
        batch_op.add_column(sa.Column("jitter_seconds", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("schedule_since", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("dst_policy", server_default=None)
        batch_op.alter_column("exclude_calendars", server_default=None)
        batch_op.alter_column("on_excluded", server_default=None)
        batch_op.alter_column("jitter_seconds", server_default=None)

    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=32), type_=sa.String(length=128), existing_nullable=True
        )


def downgrade():
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=128), type_=sa.String(length=32), existing_nullable=True
        )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("schedule_since")
        batch_op.drop_column("jitter_seconds")
        batch_op.drop_column("on_excluded")
        batch_op.drop_column("exclude_calendars")
        batch_op.drop_column("dst_policy")
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_index("ix_calendars_owner")
    op.drop_table("calendars")
