"""``/w/<ws>/lineage/<table>``: the lineage graph around a table, drawn by Cytoscape.

The page embeds the graph at table level (one node per table, file, query or URL; one
edge per source -> target pair, with the runs, jobs and column mappings that made it);
"expand" asks the REST API (``GET /lineage/<table>``) for a node's neighbours.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.lineage.service import LineageGraph
from lakeworks.server.dependencies import ContextDep, PlatformDep, TableName
from lakeworks.ui.pages.tables import listed
from lakeworks.ui.render import page

router = APIRouter()


@router.get("/w/{ws}/lineage")
def lineage_index(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    names = sorted(t.name for t in listed(platform.tables.list(ctx)))
    return page(request, "lineage.html", ctx, section="lineage", title="Lineage",
                table=None, names=names, graph=None)  # fmt: skip


@router.get("/w/{ws}/lineage/{table}")
def lineage_graph(
    table: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    depth: Annotated[int, Query(ge=1, le=50)] = 3,
) -> HTMLResponse:
    graph = platform.lineage.graph(ctx, table, None, depth)
    return page(request, "lineage.html", ctx, section="lineage", title=f"Lineage of {table}",
                table=table, names=[], graph=collapse(graph), depth=depth)  # fmt: skip


def collapse(graph: LineageGraph) -> dict[str, Any]:
    """Table-level nodes and edges: versions merged, the runs and columns kept per edge."""
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for edge in (*graph.upstream, *graph.downstream):
        found = edge.to_dict()
        source = f"{edge.source.kind}:{edge.source.name}"
        target = f"{edge.target.kind}:{edge.target.name}"
        merged = edges.setdefault((source, target), {"source": source, "target": target,
                                                     "runs": [], "columns": {}})  # fmt: skip
        merged["runs"].append({k: found[k] for k in ("job", "kind", "operation", "user", "at",
                               "pipeline", "pipeline_run_id", "task", "sql")})  # fmt: skip
        for column, sources in (edge.columns or {}).items():
            known = merged["columns"].setdefault(column, [])
            known.extend(s for s in sources if s not in known)
    return {"root": f"table:{graph.table}", "edges": list(edges.values())}
