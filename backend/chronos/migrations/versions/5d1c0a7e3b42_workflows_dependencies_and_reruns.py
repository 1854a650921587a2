"""workflows: jobs that run after other jobs (job_dependencies, dependency_triggers), per-run
payloads, reruns; dependency and rerun runs are not slots of the unique slot key

Revision ID: 5d1c0a7e3b42
Revises: b7e1c0a4d2f9
Create Date: 2026-11-29 10:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1c0a7e3b42"
down_revision = "b7e1c0a4d2f9"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD_SLOT_WHERE = "trigger <> 'manual'"
NEW_SLOT_WHERE = "trigger NOT IN ('manual', 'dependency', 'rerun')"


def _slot_index(batch_op, where):
    batch_op.create_index(
        "uq_executions_slot",
        ["job_id", "scheduled_for"],
        unique=True,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_after", sa.JSON(), nullable=True))
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("upstream_execution_ids", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("rerun_of", BIG_ID, nullable=True))
        batch_op.drop_index("uq_executions_slot")
        _slot_index(batch_op, NEW_SLOT_WHERE)

    op.create_table(
        "job_dependencies",
        sa.Column("downstream_job_id", BIG_ID, nullable=False),
        sa.Column("upstream_job_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(["downstream_job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["upstream_job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("downstream_job_id", "upstream_job_id"),
    )
    with op.batch_alter_table("job_dependencies", schema=None) as batch_op:
        batch_op.create_index("ix_job_dependencies_upstream", ["upstream_job_id"], unique=False)

    op.create_table(
        "dependency_triggers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("upstream_execution_id", BIG_ID, nullable=False),
        sa.Column("upstream_job_id", BIG_ID, nullable=False),
        sa.Column("downstream_job_id", BIG_ID, nullable=False),
        sa.Column("upstream_status", sa.String(length=16), nullable=False),
        sa.Column("upstream_result", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("downstream_execution_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["downstream_job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["upstream_execution_id"], ["executions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("upstream_execution_id", "downstream_job_id", name="uq_dependency_triggers_once"),
    )
    with op.batch_alter_table("dependency_triggers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dependency_triggers_downstream_execution", ["downstream_execution_id"], unique=False
        )
        batch_op.create_index("ix_dependency_triggers_waiting", ["downstream_job_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("dependency_triggers", schema=None) as batch_op:
        batch_op.drop_index("ix_dependency_triggers_waiting")
        batch_op.drop_index("ix_dependency_triggers_downstream_execution")
    op.drop_table("dependency_triggers")
    with op.batch_alter_table("job_dependencies", schema=None) as batch_op:
        batch_op.drop_index("ix_job_dependencies_upstream")
    op.drop_table("job_dependencies")
    # Runs that were not slots leave the executions table: the old key would not hold them.
    op.execute("DELETE FROM executions WHERE trigger IN ('dependency', 'rerun')")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("uq_executions_slot")
        _slot_index(batch_op, OLD_SLOT_WHERE)
        batch_op.drop_column("rerun_of")
        batch_op.drop_column("upstream_execution_ids")
        batch_op.drop_column("payload")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("run_after")
