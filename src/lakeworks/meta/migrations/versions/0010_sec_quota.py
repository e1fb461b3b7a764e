"""quotas and usage: a workspace's limits, and the metered use that costs are made from

Revision ID: 0010_sec_quota
Revises: 0010_sec_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_sec_quota"
down_revision = "0010_sec_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("limit", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_quotas_name"),
    )
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("user", sa.String(256), nullable=False),
        sa.Column("pipeline", sa.String(128)),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("obj", sa.String(256)),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_usage_workspace_time", "usage", ["workspace_id", "recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_usage_workspace_time", table_name="usage")
    op.drop_table("usage")
    op.drop_table("quotas")
