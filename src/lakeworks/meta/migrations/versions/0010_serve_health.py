"""serving health: per-process windows of endpoint traffic (requests, errors, latency)

Revision ID: 0010_serve_health
Revises: 0010_sec_quota
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_serve_health"
down_revision = "0010_sec_quota"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoint_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("endpoint", sa.String(128), nullable=False),
        sa.Column("slot", sa.String(32), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("process", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("buckets", sa.JSON, nullable=False),
        sa.Column("label_n", sa.Integer, nullable=False),
        sa.Column("label_sum", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_endpoint_windows_endpoint", "endpoint_windows", ["workspace_id", "endpoint", "at_ms"]
    )


def downgrade() -> None:
    op.drop_index("ix_endpoint_windows_endpoint", table_name="endpoint_windows")
    op.drop_table("endpoint_windows")
