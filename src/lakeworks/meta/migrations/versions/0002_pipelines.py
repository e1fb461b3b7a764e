"""pipelines: registered pipelines, their runs and task runs

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("schedule", sa.String(128)),
        sa.Column("catchup", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("max_active_runs", sa.Integer, nullable=False, server_default="1"),
        _time("start_at"),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("trigger_state", sa.JSON),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_pipelines_workspace_name"),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column(
            "pipeline_id",
            sa.Integer,
            sa.ForeignKey("pipelines.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("pipeline", sa.String(128), nullable=False),
        sa.Column("run_key", sa.String(256)),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON),
        _time("interval_start"),
        _time("interval_end"),
        sa.Column("backfill", sa.String(64)),
        sa.Column("owner", sa.String(256)),
        _time("heartbeat_at"),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("recoveries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        _time("created_at", nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        _time("started_at"),
        _time("finished_at"),
        sa.UniqueConstraint("pipeline_id", "run_key", name="uq_pipeline_runs_key"),
    )
    op.create_index("ix_pipeline_runs_state", "pipeline_runs", ["state", "pipeline_id"])
    op.create_table(
        "pipeline_task_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("pipeline_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("task", sa.String(128), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _time("started_at"),
        _time("finished_at"),
        sa.Column("duration_s", sa.Float),
        sa.Column("cpu_seconds", sa.Float),
        sa.Column("peak_memory_bytes", sa.BigInteger),
        sa.Column("worker", sa.String(256)),
        sa.Column("error", sa.Text),
        sa.Column("traceback", sa.Text),
        sa.Column("log", sa.Text),
        sa.Column("result", sa.JSON),
        sa.Column("reads", sa.JSON),
        sa.Column("writes", sa.JSON),
        sa.UniqueConstraint("run_id", "task", name="uq_pipeline_task_runs_task"),
    )


def downgrade() -> None:
    op.drop_table("pipeline_task_runs")
    op.drop_index("ix_pipeline_runs_state", "pipeline_runs")
    op.drop_table("pipeline_runs")
    op.drop_table("pipelines")
