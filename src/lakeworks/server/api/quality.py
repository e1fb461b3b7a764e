"""/api/v1/workspaces/{ws}/quality/{table}: checks, runs, results, reload, profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from lakeworks.quality import Check, CheckInfo, CheckResult, QualityReport
from lakeworks.quality.checks import ROW_LEVEL, SEVERITIES
from lakeworks.server.dependencies import (
    ID_MAX,
    ContextDep,
    PlatformDep,
    TableName,
    name_rule,
)
from lakeworks.server.errors import responses

router = APIRouter(prefix="/api/v1/workspaces/{ws}/quality/{table}", tags=["quality"])
workspace_router = APIRouter(prefix="/api/v1/workspaces/{ws}/quality", tags=["quality"])
CHECK_NAME_MAX = 256  # the catalog's column width
CheckName = Annotated[str, Path(min_length=1, max_length=CHECK_NAME_MAX)]


class CheckIn(BaseModel):
    """A check as JSON, e.g. ``{"kind": "between", "columns": ["amount"],
    "params": {"min": 0, "max": 100}, "severity": "warn"}``."""

    kind: Literal[tuple(ROW_LEVEL)]  # type: ignore[valid-type]
    columns: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, max_length=64
    )
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal[SEVERITIES] = "error"  # type: ignore[valid-type]
    max_rows: int | None = Field(default=None, ge=0, le=ID_MAX)
    max_percent: float | None = Field(default=None, ge=0, le=100)
    name: str | None = Field(default=None, min_length=1, max_length=CHECK_NAME_MAX)
    webhook: str | None = Field(default=None, min_length=1, max_length=2048)


class RunsIn(BaseModel):
    """Tables to check at their latest versions; null: every table that has checks."""

    tables: list[name_rule("table", Field)] | None = Field(default=None, max_length=10_000)  # type: ignore[valid-type]


class ChecksIn(BaseModel):
    checks: list[CheckIn] = Field(min_length=1, max_length=1000)


class CheckOut(BaseModel):
    name: str
    kind: str
    spec: dict[str, Any]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, info: CheckInfo) -> CheckOut:
        return cls(
            name=info.name,
            kind=info.kind,
            spec=info.check.to_spec(),
            created_at=info.created_at,
            created_by=info.created_by,
        )


class ResultOut(BaseModel):
    id: int
    table: str
    version: int | None
    run_id: str
    trigger: str
    check: str
    kind: str
    severity: str
    status: str
    violating: int
    total: int
    observed: float | None
    message: str
    sample: list[dict[str, Any]] | None
    created_at: datetime

    @classmethod
    def of(cls, result: CheckResult) -> ResultOut:
        return cls.model_validate(result, from_attributes=True)


class ReportOut(BaseModel):
    table: str
    version: int | None
    run_id: str
    passed: bool
    summary: str
    results: list[ResultOut]

    @classmethod
    def of(cls, report: QualityReport) -> ReportOut:
        return cls(
            table=report.table,
            version=report.version,
            run_id=report.run_id,
            passed=report.passed,
            summary=report.summary(),
            results=[ResultOut.of(r) for r in report.results],
        )


@router.get("/checks")
def list_checks(table: TableName, ctx: ContextDep, platform: PlatformDep) -> list[CheckOut]:
    return [CheckOut.of(c) for c in platform.quality.checks(ctx, table)]


@router.post("/checks", status_code=201, responses=responses(409))
def add_checks(
    table: TableName, body: ChecksIn, ctx: ContextDep, platform: PlatformDep
) -> list[CheckOut]:
    """Attach checks; a check that cannot run on the table is a 422 naming the problem."""
    checks = [Check.from_spec(c.model_dump()) for c in body.checks]
    return [CheckOut.of(c) for c in platform.quality.add(ctx, table, checks)]


@router.delete("/checks/{name}", status_code=204)
def remove_check(
    table: TableName, name: CheckName, ctx: ContextDep, platform: PlatformDep
) -> Response:
    platform.quality.remove(ctx, table, name)
    return Response(status_code=204)


@router.post("/runs")
def run_checks(
    table: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    version: Annotated[int | None, Query(ge=0, le=ID_MAX)] = None,
) -> ReportOut:
    """Run every check on a version (default: latest); the results are stored."""
    return ReportOut.of(platform.quality.run(ctx, table, version))


@workspace_router.post("/runs")
def run_many(body: RunsIn, ctx: ContextDep, platform: PlatformDep) -> list[ReportOut]:
    """Run the checks of many tables at once (one scan for tables of one schema and the
    same checks); the results are stored. One report per table, in the order asked."""
    return [ReportOut.of(r) for r in platform.quality.run_many(ctx, body.tables)]


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
    return [ResultOut.of(r) for r in found]


@router.post("/reload", responses=responses(409))
def reload(table: TableName, ctx: ContextDep, platform: PlatformDep) -> dict[str, Any]:
    """Write the rows the checks quarantined again, through the checks."""
    return platform.quality.reload(ctx, table).__dict__


@router.get("/profile")
def profile(
    table: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    version: Annotated[int | None, Query(ge=0, le=ID_MAX)] = None,
) -> dict[str, Any]:
    p = platform.quality.profile(ctx, table, version)
    return {"table": p.table, "version": p.version, "rows": p.rows, "columns": p.columns}
