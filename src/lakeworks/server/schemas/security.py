"""Bodies of the security routers: the caller, members, tokens and audit records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import RecordOut

Role = Literal["viewer", "editor", "maintainer", "owner"]
PrincipalName = Field(min_length=1, max_length=256, pattern=r"^[^\s]+$", examples=["ana"])


class MeOut(BaseModel):
    user: str
    admin: bool
    via: str = Field(description="token, oidc, or open (the server runs without auth)")
    groups: list[str]
    roles: dict[str, str] = Field(description="workspace -> role")


class GrantIn(BaseModel):
    role: Role


class GrantOut(RecordOut):
    workspace: str
    grantee: str
    grantee_kind: str
    role: str
    created_at: datetime
    created_by: str


class TokenCreate(BaseModel):
    user: str = PrincipalName
    role: Role | None = Field(default=None, description="unset: the user's own role")
    expires: str | None = Field(
        default="90d", pattern=r"^[1-9]\d{0,5}[smhdw]$", description="30d, 12h; null: never"
    )
    description: str | None = Field(default=None, max_length=1024)


class TokenOut(RecordOut):
    id: int
    prefix: str
    user: str
    workspace: str | None
    role: str | None
    description: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(BaseModel):
    secret: str = Field(description="the token, shown this once: send it as a Bearer token")
    token: TokenOut


class AuditOut(RecordOut):
    seq: int
    at: datetime
    user: str
    workspace: str | None
    action: str
    object: str | None
    outcome: str
    request_id: str | None
    source: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    records: int
    head_seq: int
    head_hash: str
    problems: list[str]
