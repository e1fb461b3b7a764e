"""security: principals, groups, grants, API tokens and the hash-chained audit log

Revision ID: 0010_sec_auth
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_sec_auth"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "principals",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
    )
    op.create_table(
        "group_members",
        sa.Column("group_name", sa.String(256), primary_key=True),
        sa.Column("member", sa.String(256), primary_key=True),
    )
    op.create_table(
        "grants",
        sa.Column("workspace", sa.String(128), primary_key=True),
        sa.Column("grantee", sa.String(256), primary_key=True),
        sa.Column("grantee_kind", sa.String(16), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("user", sa.String(256), nullable=False),
        sa.Column("workspace", sa.String(128)),
        sa.Column("role", sa.String(16)),
        sa.Column("description", sa.Text),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("expires_at", _WHEN),
        sa.Column("revoked_at", _WHEN),
        sa.Column("last_used_at", _WHEN),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("user", sa.String(256), nullable=False),
        sa.Column("workspace", sa.String(128)),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("object", sa.Text),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(128)),
        sa.Column("source", sa.String(128)),
        sa.Column("details", sa.JSON),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_head", "audit_log", "api_tokens", "grants", "group_members"):
        op.drop_table(table)
    op.drop_table("principals")
