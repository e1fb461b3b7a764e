"""Request and response bodies of /api/v1/workspaces/{ws}/secrets, /pii and /retention.

No response carries a secret's value: ``SecretOut`` has no field for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import ColumnName, RecordOut

Tag = Literal["email", "name", "phone", "address", "id", "free_text"]
Policy = Literal["redact", "partial", "hash", "none"]


class SecretWrite(BaseModel):
    value: str = Field(
        min_length=1, max_length=65_536, description="the secret; never returned by any route"
    )


class SecretOut(RecordOut):
    name: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class PiiTagWrite(BaseModel):
    tag: Tag
    policy: Policy | None = Field(default=None, description="default: by tag")


class PiiTagOut(RecordOut):
    table: str
    column: str
    tag: str
    policy: str
    created_at: datetime
    created_by: str


class SuggestionOut(RecordOut):
    column: str
    tag: str
    share: float = Field(description="share of sampled values that matched")
    reason: str


class RetentionWrite(BaseModel):
    versions_days: float | None = Field(default=None, gt=0, le=1e6)
    rows_days: float | None = Field(default=None, gt=0, le=1e6)
    rows_column: ColumnName | None = None


class RetentionOut(RecordOut):
    table: str
    versions_days: float | None
    rows_days: float | None
    rows_column: str | None
    updated_at: datetime
    updated_by: str


class RetentionRunOut(RecordOut):
    workspace: str
    table: str | None
    kind: str = Field(description="vacuum, expire, gc or failed")
    files_removed: int
    bytes_freed: int
    rows_expired: int
    error: str | None
    ran_at: datetime
    ran_by: str
