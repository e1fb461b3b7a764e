"""data protection: secrets, PII tags, retention rules and runs

Revision ID: 0010_sec_data
Revises: 0010_sec_auth
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_sec_data"
down_revision = "0010_sec_auth"
branch_labels = None
depends_on = None


def _workspace() -> sa.Column:
    return sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False)


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _who(name: str) -> sa.Column:
    return sa.Column(name, sa.String(256), nullable=False)


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _workspace(),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        _when("created_at"),
        _who("created_by"),
        _when("updated_at"),
        _who("updated_by"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_secrets_name"),
    )
    op.create_table(
        "pii_tags",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _workspace(),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("column_name", sa.String(256), nullable=False),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.Column("policy", sa.String(32), nullable=False),
        _when("created_at"),
        _who("created_by"),
        sa.UniqueConstraint("workspace_id", "table_name", "column_name", name="uq_pii_column"),
    )
    op.create_table(
        "retention_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _workspace(),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("versions_days", sa.Float),
        sa.Column("rows_days", sa.Float),
        sa.Column("rows_column", sa.String(256)),
        _when("updated_at"),
        _who("updated_by"),
        sa.UniqueConstraint("workspace_id", "table_name", name="uq_retention_table"),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _workspace(),
        sa.Column("table_name", sa.String(128)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("files_removed", sa.BigInteger, nullable=False),
        sa.Column("bytes_freed", sa.BigInteger, nullable=False),
        sa.Column("rows_expired", sa.BigInteger, nullable=False),
        sa.Column("error", sa.Text),
        _when("ran_at"),
        _who("ran_by"),
    )
    op.create_index("ix_retention_runs_ran_at", "retention_runs", ["ran_at"])


def downgrade() -> None:
    op.drop_index("ix_retention_runs_ran_at", "retention_runs")
    for table in ("retention_runs", "retention_rules", "pii_tags", "secrets"):
        op.drop_table(table)
