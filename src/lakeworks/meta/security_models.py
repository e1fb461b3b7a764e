"""ORM models of identities, grants, API tokens and the audit log (migration 0010_sec_auth).

Imported at the end of ``models`` so ``Base.metadata`` holds them. Workspaces are named,
not referenced by id: they are never renamed or deleted, and a token or audit record
names one even when it does not exist (a denial of a made-up workspace is audited too).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lakeworks.meta.models import Base


class PrincipalRow(Base):
    """A user or a service account; ``admin`` administers the whole platform."""

    __tablename__ = "principals"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class GroupMemberRow(Base):
    """``member`` (a user or service account name) belongs to ``group_name``."""

    __tablename__ = "group_members"

    group_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    member: Mapped[str] = mapped_column(String(256), primary_key=True)


class GrantRow(Base):
    """``grantee`` (a user, service account or group, per ``grantee_kind``) has ``role``
    in ``workspace``."""

    __tablename__ = "grants"

    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    grantee: Mapped[str] = mapped_column(String(256), primary_key=True)
    grantee_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class TokenRow(Base):
    """An API token, stored as the SHA-256 of its secret; ``prefix`` identifies it in lists."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    user: Mapped[str] = mapped_column(String(256), nullable=False)
    workspace: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """One audit record; ``hash`` covers its fields and ``prev_hash`` (the chain)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    user: Mapped[str] = mapped_column(String(256), nullable=False)
    workspace: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(128), nullable=False)
    object: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditHeadRow(Base):
    """The one row naming the last record of the chain: appends lock it, and verify
    compares it to the log's end (a deleted or added last record shows)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
