"""task attempts indexed by when they finished: a workspace's task CPU-seconds of today
(the ``task_cpu_seconds_per_day`` quota's current use) read today's attempts, not all

Revision ID: 0013_task_runs_finished
Revises: 0012_usage_days
"""

from alembic import op

revision = "0013_task_runs_finished"
down_revision = "0012_usage_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pipeline_task_runs_finished", "pipeline_task_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_task_runs_finished", table_name="pipeline_task_runs")
