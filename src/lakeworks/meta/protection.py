"""ORM models of data protection: secrets, PII tags, retention rules and runs (0010_sec_data).

Kept beside ``models.py`` (which imports this module, so ``Base.metadata`` holds them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from lakeworks.meta.models import Base


class SecretRow(Base):
    """A workspace secret; ``ciphertext`` is a Fernet token, never the value."""

    __tablename__ = "secrets"
    __table_args__ = (Unique("workspace_id", "name", name="uq_secrets_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    ciphertext: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(String(256), nullable=False)


class PiiTagRow(Base):
    """A column tagged as personal data, with the masking policy readers see."""

    __tablename__ = "pii_tags"
    __table_args__ = (Unique("workspace_id", "table_name", "column_name", name="uq_pii_column"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    column_name: Mapped[str] = mapped_column(String(256), nullable=False)
    tag: Mapped[str] = mapped_column(String(32), nullable=False)
    policy: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class RetentionRuleRow(Base):
    """How long a table keeps old versions, and optionally its rows (by a time column)."""

    __tablename__ = "retention_rules"
    __table_args__ = (Unique("workspace_id", "table_name", name="uq_retention_table"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    versions_days: Mapped[float | None] = mapped_column(Float)
    rows_days: Mapped[float | None] = mapped_column(Float)
    rows_column: Mapped[str | None] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(String(256), nullable=False)


class RetentionRunRow(Base):
    """One retention action (vacuum, row expiry, artifact gc) and the bytes it freed."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    files_removed: Mapped[int] = mapped_column(BigInteger, nullable=False)
    bytes_freed: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rows_expired: Mapped[int] = mapped_column(BigInteger, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    ran_by: Mapped[str] = mapped_column(String(256), nullable=False)
