"""registry: registered models, versions, tags, aliases, approvals, alias events, reports

Revision ID: 0007
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _ms(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False)


def _user(name: str) -> sa.Column:
    return sa.Column(name, sa.String(256), nullable=False)


def _owner(column: str, table: str) -> sa.Column:
    return sa.Column(
        column, sa.Integer, sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False
    )


def _tags(table: str, column: str, owner: str) -> None:
    op.create_table(
        table,
        _id(),
        _owner(column, owner),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.UniqueConstraint(column, "key", name=f"uq_{table}_key"),
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        _id(),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text),
        _ms("created_ms"),
        _ms("updated_ms"),
        _user("created_by"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_registered_models_workspace_name"),
    )
    _tags("registered_model_tags", "model_id", "registered_models")
    op.create_table(
        "model_versions",
        _id(),
        _owner("model_id", "registered_models"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(32), index=True),
        sa.Column("source", sa.Text),
        sa.Column("format", sa.String(32)),
        sa.Column("info", sa.JSON),
        sa.Column("signature", sa.JSON),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("stage", sa.String(32)),
        _ms("created_ms"),
        _ms("updated_ms"),
        _user("created_by"),
        sa.UniqueConstraint("model_id", "version", name="uq_model_versions_version"),
    )
    _tags("model_version_tags", "version_id", "model_versions")
    op.create_table(
        "model_aliases",
        _id(),
        _owner("model_id", "registered_models"),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("model_id", "alias", name="uq_model_aliases_alias"),
    )
    op.create_table(
        "model_approvals",
        _id(),
        _owner("version_id", "model_versions"),
        sa.Column("stage", sa.String(32), nullable=False),
        _user("approved_by"),
        _ms("at_ms"),
        sa.Column("comment", sa.Text),
    )
    op.create_table(
        "model_alias_events",
        _id(),
        _owner("model_id", "registered_models"),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("from_version", sa.Integer),
        sa.Column("to_version", sa.Integer),
        sa.Column("forced", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.Text),
        _user("moved_by"),
        _ms("at_ms"),
    )
    op.create_index("ix_model_alias_events_model", "model_alias_events", ["model_id", "alias"])
    op.create_table(
        "model_reports",
        _id(),
        _owner("version_id", "model_versions"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("passed", sa.Boolean),
        _ms("created_ms"),
        sa.UniqueConstraint("version_id", "kind", name="uq_model_reports_kind"),
    )


def downgrade() -> None:
    op.drop_table("model_reports")
    op.drop_index("ix_model_alias_events_model", "model_alias_events")
    for table in ("model_alias_events", "model_approvals", "model_aliases"):
        op.drop_table(table)
    op.drop_table("model_version_tags")
    op.drop_table("model_versions")
    op.drop_table("registered_model_tags")
    op.drop_table("registered_models")
