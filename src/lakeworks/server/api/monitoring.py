"""/api/v1/workspaces/{ws}/monitoring: drift reports between tables and table versions."""

from __future__ import annotations

from fastapi import APIRouter

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.schemas.monitoring import CompareIn, DriftReportOut

router = APIRouter(prefix="/api/v1/workspaces/{ws}/monitoring", tags=["monitoring"])


@router.post("/compare")
def compare(body: CompareIn, ctx: ContextDep, platform: PlatformDep) -> DriftReportOut:
    """Which columns drifted from ``reference`` to ``current``: per column the deciding
    statistic, its threshold and the verdict. A missing table or version is a 404; a
    column missing on one side or of another kind there is a 422 naming it."""
    report = platform.monitoring.compare(
        ctx,
        body.reference,
        body.current,
        columns=body.columns,
        method=body.method,
        threshold=body.threshold,
        drift_share=body.drift_share,
    )
    return DriftReportOut.model_validate(report.to_dict())
