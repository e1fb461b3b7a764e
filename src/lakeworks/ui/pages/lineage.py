"""``/w/<ws>/lineage``: the lineage graph around any node, drawn by Cytoscape.

``/w/<ws>/lineage/<table>`` starts from a table; ``/w/<ws>/lineage?node=<kind>:<name>``
from any node (``run:<id>``, ``model:churn/2``, ``view:<name>``, ``endpoint:<name>``,
``prediction:<request id>``, ``table:<name>``). The page embeds the graph at table level
(one node per table, file, query, URL, run, model version, feature view, endpoint or
prediction; one edge per source -> target pair, with the records that made it);
"expand" asks the REST API (``GET /lineage?node=...&depth=1``) for a node's neighbours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.server.dependencies import ContextDep, PlatformDep, TableName
from lakeworks.ui.layout import place
from lakeworks.ui.pages.tables import listed
from lakeworks.ui.render import page

if TYPE_CHECKING:
    from lakeworks.serving.graph import ObjectGraph

router = APIRouter()
Depth = Annotated[int, Query(ge=1, le=50)]
# the page of each kind of start node, for the heading's link
PAGES = {"table": "tables/{}", "run": "runs/{}", "view": "features/view/{}",
         "endpoint": "endpoints/{}"}  # fmt: skip


@router.get("/w/{ws}/lineage")
def lineage_index(
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    node: Annotated[str | None, Query(max_length=600)] = None,
    depth: Depth = 3,
) -> HTMLResponse:
    if node:
        return _graph(ctx, platform, request, node, depth)
    names = sorted(t.name for t in listed(platform.tables.list(ctx)))
    return page(request, "lineage.html", ctx, section="lineage", title="Lineage",
                start=None, names=names, graph=None)  # fmt: skip


@router.get("/w/{ws}/lineage/{table}")
def lineage_graph(
    table: TableName, ctx: ContextDep, platform: PlatformDep, request: Request, depth: Depth = 3
) -> HTMLResponse:
    return _graph(ctx, platform, request, f"table:{table}", depth)


def _graph(ctx: ContextDep, platform: PlatformDep, request: Request, node: str, depth: int):  # noqa: ANN202
    graph = platform.serving.lineage(ctx, node, depth)
    kind, name = node.split(":", 1)
    href = PAGES[kind].format(name) if kind in PAGES else None
    if kind == "model":
        model, _, version = name.rpartition("/")
        href = f"models/{model}?version={version}"
    return page(request, "lineage.html", ctx, section="lineage", title=f"Lineage of {name}",
                start=node, kind=kind, name=name, href=href, names=[],
                graph=drawn(graph), depth=depth)  # fmt: skip


def drawn(graph: ObjectGraph) -> dict[str, Any]:
    """The graph as the page embeds it: nodes with their positions (``ui.layout``) as
    ``[id, x, y]``, edges as ``[source index, target index, runs, columns]``, each
    run's empty fields left out (a 1,011-node graph: 280 kB of JSON before, see
    docs/benchmarks.md)."""
    nodes = graph.nodes()
    at = place(nodes, [(link.source, link.target) for link in graph.links])
    index = {node: i for i, node in enumerate(nodes)}
    edges = [
        [index[link.source], index[link.target],
         [{k: v for k, v in run.items() if v not in (None, "")} for run in link.runs],
         link.columns]
        for link in graph.links
    ]  # fmt: skip
    return {"root": 0, "nodes": [[n, *at[n]] for n in nodes], "edges": edges}
