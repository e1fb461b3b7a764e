"""pipeline runs carry a principal: who registered a pipeline, who triggered a run

Revision ID: 0011_run_principal
Revises: 0010_serve_health
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_run_principal"
down_revision = "0010_serve_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pipelines", sa.Column("principal", sa.JSON, nullable=True))
    op.add_column("pipeline_runs", sa.Column("principal", sa.JSON, nullable=True))


def downgrade() -> None:
    for table in ("pipeline_runs", "pipelines"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("principal")
