"""/api/v1/workspaces/{ws}/secrets, /pii and /retention: data protection over REST.

Secrets are written and listed, never read back: no route returns a value.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from lakeworks.server.dependencies import ContextDep, PlatformDep, TableName, name_rule
from lakeworks.server.schemas.protection import (
    PiiTagOut,
    PiiTagWrite,
    RetentionOut,
    RetentionRunOut,
    RetentionWrite,
    SecretOut,
    SecretWrite,
    SuggestionOut,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}", tags=["data protection"])
SecretName = name_rule("secret", example="pg_password")
Column = Annotated[str, Query(min_length=1, max_length=255)]


@router.get("/secrets")
def list_secrets(ctx: ContextDep, platform: PlatformDep) -> list[SecretOut]:
    """Names and dates of the workspace's secrets (never their values)."""
    return [SecretOut.model_validate(s) for s in platform.secrets.list(ctx)]


@router.put("/secrets/{name}")
def set_secret(
    name: SecretName, body: SecretWrite, ctx: ContextDep, platform: PlatformDep
) -> SecretOut:
    """Create or replace a secret; the answer does not echo the value."""
    return SecretOut.model_validate(platform.secrets.set(ctx, name, body.value))


@router.delete("/secrets/{name}", status_code=204)
def delete_secret(name: SecretName, ctx: ContextDep, platform: PlatformDep) -> Response:
    platform.secrets.delete(ctx, name)
    return Response(status_code=204)


@router.get("/pii")
def pii_tags(
    ctx: ContextDep, platform: PlatformDep, table: Annotated[str | None, Query()] = None
) -> list[PiiTagOut]:
    return [PiiTagOut.model_validate(t) for t in platform.pii.tags(ctx, table)]


@router.post("/pii/{name}/scan")
def pii_scan(
    name: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    rows: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[SuggestionOut]:
    """Suggested tags for the table's columns from sampled values (nothing is tagged)."""
    return [SuggestionOut.model_validate(s) for s in platform.pii.scan(ctx, name, rows)]


@router.put("/pii/{name}")
def pii_tag(
    name: TableName, column: Column, body: PiiTagWrite, ctx: ContextDep, platform: PlatformDep
) -> PiiTagOut:
    """Tag ``column`` of the table; readers without ``unmask`` see it masked."""
    done = platform.pii.tag(ctx, name, column, body.tag, body.policy)
    return PiiTagOut.model_validate(done)


@router.delete("/pii/{name}", status_code=204)
def pii_untag(name: TableName, column: Column, ctx: ContextDep, platform: PlatformDep) -> Response:
    platform.pii.untag(ctx, name, column)
    return Response(status_code=204)


@router.get("/retention")
def retention_rules(ctx: ContextDep, platform: PlatformDep) -> list[RetentionOut]:
    return [RetentionOut.model_validate(r) for r in platform.retention.rules(ctx)]


@router.put("/retention/{name}")
def set_retention(
    name: TableName, body: RetentionWrite, ctx: ContextDep, platform: PlatformDep
) -> RetentionOut:
    rule = platform.retention.set(ctx, name, **body.model_dump())
    return RetentionOut.model_validate(rule)


@router.delete("/retention/{name}", status_code=204)
def remove_retention(name: TableName, ctx: ContextDep, platform: PlatformDep) -> Response:
    platform.retention.remove(ctx, name)
    return Response(status_code=204)


@router.post("/retention/run")
def run_retention(
    ctx: ContextDep, platform: PlatformDep, table: Annotated[str | None, Query()] = None
) -> list[RetentionRunOut]:
    """Apply the rules now (of ``table``, or all); what each action removed and freed."""
    return [RetentionRunOut.model_validate(r) for r in platform.retention.run(ctx, table)]


@router.get("/retention/runs")
def retention_runs(
    ctx: ContextDep, platform: PlatformDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[RetentionRunOut]:
    return [RetentionRunOut.model_validate(r) for r in platform.retention.runs(ctx, limit)]
