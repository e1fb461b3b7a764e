"""/api/v1/workspaces/{ws}/quotas and /costs: a workspace's limits, use and cost."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from lakeworks.limits import QUOTAS
from lakeworks.security.costs import GROUPS
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.errors import responses
from lakeworks.server.schemas.quotas import CostLineOut, CostReportOut, QuotaIn, QuotaOut

router = APIRouter(prefix="/api/v1/workspaces/{ws}", tags=["quotas"])
QuotaName = Annotated[str, Path(description="one of " + ", ".join(QUOTAS), examples=["tables"])]
By = Query(description=f"groups, comma-separated: any of {', '.join(GROUPS)}", max_length=64)
Since = Query(description="a span back from now (30d, 12h, 15m) or an ISO time", max_length=64)


@router.get("/quotas")
def show_quotas(ctx: ContextDep, platform: PlatformDep) -> list[QuotaOut]:
    """Every quota of the workspace: its limit (null: none) and current use."""
    return [QuotaOut.model_validate(q) for q in platform.quotas.show(ctx)]


@router.put("/quotas/{name}")
def set_quota(name: QuotaName, body: QuotaIn, ctx: ContextDep, platform: PlatformDep) -> QuotaOut:
    """Set one quota (``{"limit": null}`` removes it); 422 names an unknown quota."""
    return QuotaOut.model_validate(platform.quotas.set(ctx, name, body.limit))


@router.get("/costs", responses=responses(422))
def costs(
    ctx: ContextDep,
    platform: PlatformDep,
    by: Annotated[str, By] = "user,pipeline",
    since: Annotated[str, Since] = "30d",
) -> CostReportOut:
    """The workspace's usage and cost since ``since``, grouped by ``by``."""
    report = platform.costs.of_workspace(ctx, by, since=since)
    lines = [
        CostLineOut(
            group=line.group, quantities=line.quantities, costs=line.costs, total=line.total
        )
        for line in report.lines
    ]
    return CostReportOut(
        by=list(report.by), since=report.since, until=report.until, total=report.total, lines=lines
    )
