"""an index of a workspace's executions by slot time (the dashboard's last 24 hours, retention)

Revision ID: d8b2f4a6c913
Revises: c3a9e5d17b40
Create Date: 2026-11-29 14:30:00

"""

from alembic import op

revision = "d8b2f4a6c913"
down_revision = "c3a9e5d17b40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_executions_workspace_due", "executions", ["workspace_id", "scheduled_for"])


def downgrade():
    op.drop_index("ix_executions_workspace_due", table_name="executions")
