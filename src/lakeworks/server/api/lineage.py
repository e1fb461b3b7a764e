"""/api/v1/workspaces/{ws}/lineage/{table}: upstream and downstream edges as JSON;
/api/v1/workspaces/{ws}/lineage?node=<kind>:<name>: the same from any node."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from lakeworks.server.dependencies import ID_MAX, ContextDep, PlatformDep, TableName

router = APIRouter(prefix="/api/v1/workspaces/{ws}/lineage", tags=["lineage"])


@router.get("")
def node_lineage(
    ctx: ContextDep,
    platform: PlatformDep,
    node: Annotated[str, Query(min_length=3, max_length=600)],
    depth: Annotated[int, Query(ge=1, le=50)] = 3,
) -> dict[str, Any]:
    """Edges source -> target around any node (``table:orders``, ``run:<id>``,
    ``model:churn/2``, ``view:<name>``, ``endpoint:<name>``, ``prediction:<request id>``),
    table level, one edge per pair with the records that made it."""
    return platform.serving.lineage(ctx, node, depth).to_dict()


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
