"""quality and lineage: checks, check results, table profiles, lineage runs and edges

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _workspace() -> sa.Column:
    return sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False)


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "quality_checks",
        _id(),
        _workspace(),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        _time("created_at"),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.UniqueConstraint("workspace_id", "table_name", "name", name="uq_quality_checks_name"),
    )
    op.create_table(
        "quality_results",
        _id(),
        _workspace(),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("table_version", sa.BigInteger),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("check_name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("violating", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("total", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("observed", sa.Float),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("sample", sa.JSON),
        _time("created_at"),
    )
    op.create_index("ix_quality_results_run_id", "quality_results", ["run_id"])
    op.create_index(
        "ix_quality_results_table", "quality_results", ["workspace_id", "table_name", "id"]
    )
    op.create_table(
        "table_profiles",
        _id(),
        _workspace(),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("table_version", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        _time("created_at"),
        sa.UniqueConstraint(
            "workspace_id", "table_name", "table_version", name="uq_table_profiles"
        ),
    )
    op.create_table(
        "lineage_runs",
        _id(),
        _workspace(),
        sa.Column("run_uuid", sa.String(64), nullable=False, unique=True),
        sa.Column("job", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("pipeline", sa.String(128)),
        sa.Column("pipeline_run_id", sa.BigInteger),
        sa.Column("task", sa.String(128)),
        sa.Column("sql", sa.Text),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("table_version", sa.BigInteger),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("user", sa.String(256), nullable=False),
        _time("created_at"),
    )
    op.create_table(
        "lineage_edges",
        _id(),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("lineage_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _workspace(),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("source_version", sa.BigInteger),
        sa.Column("target_table", sa.String(128), nullable=False),
        sa.Column("target_version", sa.BigInteger),
        sa.Column("columns", sa.JSON),
    )
    op.create_index(
        "ix_lineage_edges_source", "lineage_edges", ["workspace_id", "source_kind", "source_name"]
    )
    op.create_index("ix_lineage_edges_target", "lineage_edges", ["workspace_id", "target_table"])


def downgrade() -> None:
    for table in (
        "lineage_edges",
        "lineage_runs",
        "table_profiles",
        "quality_results",
        "quality_checks",
    ):
        op.drop_table(table)
