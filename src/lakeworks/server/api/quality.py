"""/api/v1/workspaces/{ws}/quality/{table}: checks, runs, results, reload, profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from lakeworks.quality import Check
from lakeworks.server.dependencies import ID_MAX, ContextDep, PlatformDep, TableName
from lakeworks.server.errors import responses
from lakeworks.server.schemas.quality import (
    CHECK_NAME_MAX,
    CheckOut,
    ChecksIn,
    ProfileOut,
    ReloadOut,
    ReportOut,
    ResultOut,
    RunsIn,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}/quality/{table}", tags=["quality"])
workspace_router = APIRouter(prefix="/api/v1/workspaces/{ws}/quality", tags=["quality"])
CheckName = Annotated[str, Path(min_length=1, max_length=CHECK_NAME_MAX)]
Version = Annotated[int | None, Query(ge=0, le=ID_MAX)]


@router.get("/checks")
def list_checks(table: TableName, ctx: ContextDep, platform: PlatformDep) -> list[CheckOut]:
    return [CheckOut.model_validate(c) for c in platform.quality.checks(ctx, table)]


@router.post("/checks", status_code=201, responses=responses(409))
def add_checks(
    table: TableName, body: ChecksIn, ctx: ContextDep, platform: PlatformDep
) -> list[CheckOut]:
    """Attach checks; a check that cannot run on the table is a 422 naming the problem."""
    checks = [Check.from_spec(c.model_dump()) for c in body.checks]
    return [CheckOut.model_validate(c) for c in platform.quality.add(ctx, table, checks)]


@router.delete("/checks/{name}", status_code=204)
def remove_check(
    table: TableName, name: CheckName, ctx: ContextDep, platform: PlatformDep
) -> Response:
    platform.quality.remove(ctx, table, name)
    return Response(status_code=204)


@router.post("/runs")
def run_checks(
    table: TableName, ctx: ContextDep, platform: PlatformDep, version: Version = None
) -> ReportOut:
    """Run every check on a version (default: latest); the results are stored."""
    return ReportOut.model_validate(platform.quality.run(ctx, table, version))


@workspace_router.post("/runs")
def run_many(body: RunsIn, ctx: ContextDep, platform: PlatformDep) -> list[ReportOut]:
    """Run the checks of many tables at once (one scan for tables of one schema and the
    same checks); the results are stored. One report per table, in the order asked."""
    return [ReportOut.model_validate(r) for r in platform.quality.run_many(ctx, body.tables)]


@router.get("/results")
def results(
    table: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    run_id: Annotated[str | None, Query(max_length=256)] = None,
    check: Annotated[str | None, Query(max_length=CHECK_NAME_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[ResultOut]:
    """Stored results, newest first."""
    found = platform.quality.results(ctx, table, run_id=run_id, check=check, limit=limit)
    return [ResultOut.model_validate(r) for r in found]


@router.post("/reload", responses=responses(409))
def reload(table: TableName, ctx: ContextDep, platform: PlatformDep) -> ReloadOut:
    """Write the rows the checks quarantined again, through the checks."""
    return ReloadOut.model_validate(platform.quality.reload(ctx, table))


@router.get("/profile")
def profile(
    table: TableName, ctx: ContextDep, platform: PlatformDep, version: Version = None
) -> ProfileOut:
    return ProfileOut.model_validate(platform.quality.profile(ctx, table, version))
