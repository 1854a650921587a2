"""a workspace's own retention (retention_days, retention_failed_days)

Revision ID: c3a9e5d17b40
Revises: e4f2a6c81d07
Create Date: 2026-11-29 13:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3a9e5d17b40"
down_revision = "e4f2a6c81d07"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retention_failed_days", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("retention_failed_days")
        batch_op.drop_column("retention_days")
