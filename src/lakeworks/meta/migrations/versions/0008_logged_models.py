"""logged models: MLflow 3's models logged before (or without) registration

Revision ID: 0008
Revises: 0006b
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("source_run_id", sa.String(32)),
        sa.Column("model_type", sa.String(256)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
    )
    op.create_index("ix_logged_models_experiment", "logged_models", ["experiment_id", "created_at"])
    op.create_index("ix_logged_models_source_run", "logged_models", ["source_run_id"])


def downgrade() -> None:
    op.drop_table("logged_models")
