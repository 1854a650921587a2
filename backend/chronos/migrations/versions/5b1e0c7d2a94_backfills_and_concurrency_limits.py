"""backfills and concurrency limits (a job's concurrency key, an execution's backfill, `waiting` reasons)

Revision ID: 5b1e0c7d2a94
Revises: 5d1c0a7e3b42
Create Date: 2026-11-29 10:30:31.822598

"""

import sqlalchemy as sa
from alembic import op

import chronos.models.base

# revision identifiers, used by Alembic.
revision = "5b1e0c7d2a94"
down_revision = "5d1c0a7e3b42"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "concurrency_limits",
        sa.Column("id", _id, nullable=False),
        sa.Column("owner_id", _id, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("max_running", sa.Integer(), nullable=False),
        sa.Column("per_second", sa.Float(), nullable=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", chronos.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", chronos.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chronos.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "key", name="uq_concurrency_limits_owner_key"),
    )
    op.create_table(
        "backfills",
        sa.Column("id", _id, nullable=False),
        sa.Column("job_id", _id, nullable=False),
        sa.Column("owner_id", _id, nullable=False),
        sa.Column("range_start", chronos.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("range_end", chronos.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("slot_count", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("created_at", chronos.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", chronos.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("backfills", schema=None) as batch_op:
        batch_op.create_index("ix_backfills_job", ["job_id", "id"], unique=False)

    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backfill_id", _id, nullable=True))
        batch_op.alter_column(
            "reason", existing_type=sa.VARCHAR(length=32), type_=sa.String(length=100), existing_nullable=True
        )
        batch_op.create_index(
            "ix_executions_backfill", ["backfill_id", "status", "scheduled_for"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_executions_backfill_id", "backfills", ["backfill_id"], ["id"], ondelete="CASCADE"
        )

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concurrency_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_jobs_owner_concurrency_key", ["owner_id", "concurrency_key"], unique=False)


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_owner_concurrency_key")
        batch_op.drop_column("concurrency_key")

    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_executions_backfill_id", type_="foreignkey")
        batch_op.drop_index("ix_executions_backfill")
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=100), type_=sa.VARCHAR(length=32), existing_nullable=True
        )
        batch_op.drop_column("backfill_id")

    with op.batch_alter_table("backfills", schema=None) as batch_op:
        batch_op.drop_index("ix_backfills_job")

    op.drop_table("backfills")
    op.drop_table("concurrency_limits")
