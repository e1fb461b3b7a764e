"""features: versioned feature definitions and online-store materializations

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feature_definitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        _time("created_at", nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.UniqueConstraint(
            "workspace_id", "kind", "name", "version", name="uq_feature_definitions_version"
        ),
    )
    op.create_table(
        "feature_materializations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("view", sa.String(128), nullable=False),
        sa.Column("view_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _time("start_at"),
        _time("end_at"),
        sa.Column("rows", sa.BigInteger, nullable=False, server_default="0"),
        _time("started_at", nullable=False),
        _time("finished_at", nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
    )
    op.create_index(
        "ix_feature_materializations_view", "feature_materializations", ["workspace_id", "view"]
    )


def downgrade() -> None:
    op.drop_index("ix_feature_materializations_view", "feature_materializations")
    op.drop_table("feature_materializations")
    op.drop_table("feature_definitions")
