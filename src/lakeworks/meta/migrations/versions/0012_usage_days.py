"""usage rolled up per UTC day, so cost reports over weeks read days, not every batch

The table is filled from the usage already recorded (one row per workspace, day, user,
pipeline and kind); from then on ``Ledger.add_usage`` keeps it.

Revision ID: 0012_usage_days
Revises: 0011_serve_agreement
"""

from collections import defaultdict
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0012_usage_days"
down_revision = "0011_serve_agreement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    days = op.create_table(
        "usage_days",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("user", sa.String(256), nullable=False),
        sa.Column("pipeline", sa.String(128)),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("largest", sa.Float, nullable=False),
    )
    op.create_index("ix_usage_days_workspace_day", "usage_days", ["workspace_id", "day"])
    usage = sa.table(
        "usage",
        sa.column("workspace_id"),
        sa.column("user"),
        sa.column("pipeline"),
        sa.column("kind"),
        sa.column("amount"),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, float("-inf")])
    query = sa.select(usage.c.workspace_id, usage.c.user, usage.c.pipeline, usage.c.kind,
                      usage.c.amount, usage.c.recorded_at)  # fmt: skip
    for ws, user, pipeline, kind, amount, at in op.get_bind().execute(query):
        at = at.astimezone(UTC) if at.tzinfo else at  # naive times are UTC
        into = sums[(ws, at.date(), user, pipeline, kind)]
        into[0] += amount
        into[1] = max(into[1], amount)
    rows = [
        {
            "workspace_id": k[0],
            "day": k[1],
            "user": k[2],
            "pipeline": k[3],
            "kind": k[4],
            "total": total,
            "largest": largest,
        }
        for k, (total, largest) in sums.items()
    ]
    if rows:
        op.bulk_insert(days, rows)


def downgrade() -> None:
    op.drop_index("ix_usage_days_workspace_day", table_name="usage_days")
    op.drop_table("usage_days")
