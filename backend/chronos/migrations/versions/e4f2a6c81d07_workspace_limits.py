"""concurrency limits and calendars belong to a workspace; the jobs' concurrency-key index by workspace

Revision ID: e4f2a6c81d07
Revises: b7d41e2a9c53
Create Date: 2026-11-29 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e4f2a6c81d07"
down_revision = "b7d41e2a9c53"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _to_workspace(table: str, index: tuple[str, str] | None) -> None:
    """Give a table's rows the personal workspace of their owner, and drop the owner."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", _id, nullable=True))
    op.execute(
        f"UPDATE {table} SET workspace_id = "
        f"(SELECT w.id FROM workspaces w WHERE w.personal_for = {table}.owner_id)"
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=_id, nullable=False)
        if index is not None:
            batch_op.drop_index(index[0])
            batch_op.create_index(index[1], ["workspace_id", "id"], unique=False)
        batch_op.create_foreign_key(
            f"fk_{table}_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"], ondelete="CASCADE"
        )


def upgrade():
    _to_workspace("calendars", ("ix_calendars_owner", "ix_calendars_workspace"))
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
    with op.batch_alter_table("concurrency_limits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", _id, nullable=True))
    # A user's limits go to their personal workspace, where their jobs went.
    op.execute(
        "UPDATE concurrency_limits SET workspace_id = "
        "(SELECT w.id FROM workspaces w WHERE w.personal_for = concurrency_limits.owner_id)"
    )
    with op.batch_alter_table("concurrency_limits", schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=_id, nullable=False)
        batch_op.drop_constraint("uq_concurrency_limits_owner_key", type_="unique")
        batch_op.create_unique_constraint("uq_concurrency_limits_workspace_key", ["workspace_id", "key"])
        batch_op.create_foreign_key(
            "fk_concurrency_limits_workspace_id_workspaces",
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_column("owner_id")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_owner_concurrency_key")
        batch_op.create_index(
            "ix_jobs_workspace_concurrency_key", ["workspace_id", "concurrency_key"], unique=False
        )


def downgrade():
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", _id, nullable=True))
    op.execute(
        "UPDATE calendars SET owner_id = "
        "(SELECT w.personal_for FROM workspaces w WHERE w.id = calendars.workspace_id)"
    )
    op.execute("DELETE FROM calendars WHERE owner_id IS NULL")
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=_id, nullable=False)
        batch_op.drop_index("ix_calendars_workspace")
        batch_op.create_index("ix_calendars_owner", ["owner_id", "id"], unique=False)
        batch_op.drop_constraint("fk_calendars_workspace_id_workspaces", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_calendars_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.drop_column("workspace_id")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_workspace_concurrency_key")
        batch_op.create_index("ix_jobs_owner_concurrency_key", ["owner_id", "concurrency_key"], unique=False)
    with op.batch_alter_table("concurrency_limits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", _id, nullable=True))
    op.execute(
        "UPDATE concurrency_limits SET owner_id = "
        "(SELECT w.personal_for FROM workspaces w WHERE w.id = concurrency_limits.workspace_id)"
    )
    op.execute("DELETE FROM concurrency_limits WHERE owner_id IS NULL")
    with op.batch_alter_table("concurrency_limits", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=_id, nullable=False)
        batch_op.drop_constraint("fk_concurrency_limits_workspace_id_workspaces", type_="foreignkey")
        batch_op.drop_constraint("uq_concurrency_limits_workspace_key", type_="unique")
        batch_op.create_unique_constraint("uq_concurrency_limits_owner_key", ["owner_id", "key"])
        batch_op.create_foreign_key(
            "fk_concurrency_limits_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.drop_column("workspace_id")
