"""The caller (/api/v1/me), members and tokens of a workspace, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from lakeworks.server.dependencies import ID_MAX, CallerDep, ContextDep, PlatformDep
from lakeworks.server.errors import responses
from lakeworks.server.schemas.security import (
    AuditOut,
    GrantIn,
    GrantOut,
    MeOut,
    NewTokenOut,
    TokenCreate,
    TokenOut,
    VerifyOut,
)

router = APIRouter(prefix="/api/v1", tags=["security"])
scoped = APIRouter(prefix="/api/v1/workspaces/{ws}", tags=["security"])

Grantee = Annotated[str, Path(min_length=1, max_length=256, pattern=r"^[^\s/]+$")]
Kind = Literal["user", "group"]
TokenId = Annotated[int, Path(ge=1, le=ID_MAX)]
Since = Annotated[datetime | None, Query(description="records at or after (ISO 8601)")]
UserQ = Annotated[str | None, Query(max_length=256)]
ActionQ = Annotated[str | None, Query(max_length=128, description="an action prefix")]
Limit = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/me", responses=responses(401))
def me(caller: CallerDep) -> MeOut:
    """Who the credential says the caller is, and their roles."""
    p = caller.principal
    if p is None:
        return MeOut(user=caller.user, admin=True, via="open", groups=[], roles={})
    return MeOut(user=p.name, admin=p.admin, via=p.via, groups=list(p.groups), roles=dict(p.roles))


@scoped.get("/members", responses=responses(401, 403))
def list_members(ctx: ContextDep, platform: PlatformDep) -> list[GrantOut]:
    return [GrantOut.model_validate(g) for g in platform.identities.grants(ctx)]


@scoped.put("/members/{kind}/{grantee}", responses=responses(401, 403))
def grant(
    kind: Kind, grantee: Grantee, body: GrantIn, ctx: ContextDep, platform: PlatformDep
) -> GrantOut:
    """Give a user or group a role in the workspace (owners)."""
    return GrantOut.model_validate(platform.identities.grant(ctx, grantee, body.role, kind))


@scoped.delete("/members/{kind}/{grantee}", status_code=204, responses=responses(401, 403))
def revoke(kind: Kind, grantee: Grantee, ctx: ContextDep, platform: PlatformDep) -> None:
    platform.identities.revoke(ctx, grantee, kind)


@scoped.post("/tokens", status_code=201, responses=responses(401, 403))
def create_token(body: TokenCreate, ctx: ContextDep, platform: PlatformDep) -> NewTokenOut:
    """A token for the workspace, shown once (owners)."""
    made = platform.tokens.create(
        ctx, body.user, role=body.role, expires=body.expires, description=body.description
    )
    return NewTokenOut(secret=made.secret, token=TokenOut.model_validate(made.token))


@scoped.get("/tokens", responses=responses(401, 403))
def list_tokens(ctx: ContextDep, platform: PlatformDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in platform.tokens.list(ctx)]


@scoped.delete("/tokens/{token_id}", responses=responses(401, 403))
def revoke_token(token_id: TokenId, ctx: ContextDep, platform: PlatformDep) -> TokenOut:
    return TokenOut.model_validate(platform.tokens.revoke(ctx, token_id))


@scoped.get("/audit", responses=responses(401, 403))
def audit(
    ctx: ContextDep,
    platform: PlatformDep,
    since: Since = None,
    user: UserQ = None,
    action: ActionQ = None,
    limit: Limit = 1000,
) -> list[AuditOut]:
    """The workspace's audit records, oldest first (owners)."""
    found = platform.audit.list(ctx, since=since, user=user, action=action, limit=limit)
    return [AuditOut.model_validate(r) for r in found]


class JsonLines(PlainTextResponse):
    media_type = "application/x-ndjson"


@scoped.get(
    "/audit/export",
    response_model=None,
    responses={
        200: {
            "description": "one JSON object per line",
            "content": {JsonLines.media_type: {"schema": {"type": "string"}}},
        },
        **responses(401, 403),
    },
)
def export(
    ctx: ContextDep, platform: PlatformDep, since: Since = None, user: UserQ = None
) -> JsonLines:
    """The workspace's audit records as JSON lines."""
    lines = platform.audit.export(ctx, since=since, user=user)
    body = "".join(f"{line}\n" for line in lines)
    return JsonLines(body)


@router.get("/audit", responses=responses(401, 403))
def audit_all(
    caller: CallerDep,
    platform: PlatformDep,
    since: Since = None,
    user: UserQ = None,
    action: ActionQ = None,
    limit: Limit = 1000,
) -> list[AuditOut]:
    """Every workspace's audit records (administrators)."""
    found = platform.audit.list(
        caller, since=since, user=user, action=action, limit=limit, all_workspaces=True
    )
    return [AuditOut.model_validate(r) for r in found]


@router.get("/audit/verify", responses=responses(401, 403))
def verify(caller: CallerDep, platform: PlatformDep) -> VerifyOut:
    """Walk the audit log's hash chain; each problem names a record (administrators)."""
    result = platform.audit.verify(caller)
    return VerifyOut(
        ok=result.ok, **{k: getattr(result, k) for k in VerifyOut.model_fields if k != "ok"}
    )
