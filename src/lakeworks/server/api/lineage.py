"""/api/v1/workspaces/{ws}/lineage/{table}: upstream and downstream edges as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from lakeworks.server.dependencies import ID_MAX, ContextDep, PlatformDep, TableName

router = APIRouter(prefix="/api/v1/workspaces/{ws}/lineage", tags=["lineage"])


@router.get("/{table}")
def lineage(
    table: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    version: Annotated[int | None, Query(ge=0, le=ID_MAX)] = None,
    depth: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Edges source -> target (table versions, files, queries, URLs) with the job, run,
    pipeline task and column mapping of each; all versions of the table unless ``version``."""
    return platform.lineage.graph(ctx, table, version, depth).to_dict()
