"""``lakeworks lineage TABLE``: upstream and downstream as trees."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.tree import Tree

from lakeworks.cli.session import console, workspace
from lakeworks.lineage import Edge, LineageGraph


def lineage(
    ctx: typer.Context,
    table: str,
    version: Annotated[int | None, typer.Option(help="one version (default: all)")] = None,
    depth: Annotated[int, typer.Option(help="how many hops to follow")] = 10,
    columns: Annotated[bool, typer.Option("--columns", help="show column mappings")] = False,
) -> None:
    """What a table was made from (upstream) and what was made from it (downstream)."""
    with workspace(ctx) as ws:
        graph = ws.lineage(table, version, depth)
    console().print(render(graph, columns))


def render(graph: LineageGraph, columns: bool = False) -> Tree:
    label = graph.table if graph.version is None else f"{graph.table}@v{graph.version}"
    root = Tree(f"[bold]{label}[/]")
    up = root.add("upstream")
    _branch(up, graph.upstream, graph.table, lambda e: e.target, lambda e: e.source, columns)
    down = root.add("downstream")
    _branch(down, graph.downstream, graph.table, lambda e: e.source, lambda e: e.target, columns)
    return root


def _branch(tree: Tree, edges: tuple[Edge, ...], table: str, near, far, columns: bool) -> None:  # noqa: ANN001
    """Edges grouped under the node they attach to, starting from ``table``'s versions."""
    by_near: dict[tuple[str, int | None], list[Edge]] = {}
    for edge in edges:
        by_near.setdefault((near(edge).name, near(edge).version), []).append(edge)
    if not edges:
        tree.add("[dim](none recorded)[/]")
        return
    seen: set[tuple[str, int | None]] = set()

    def grow(node: Tree, key: tuple[str, int | None]) -> None:
        if key in seen:
            return
        seen.add(key)
        for edge in by_near.get(key, []):
            other = far(edge)
            via = f"{edge.job}" + (f" (run {edge.pipeline_run_id})" if edge.pipeline_run_id else "")
            child = node.add(f"{other}  [dim]{other.kind} via {via}[/]")
            if columns and edge.columns:
                for out, sources in sorted(edge.columns.items()):
                    child.add(f"[dim]{out} <- {', '.join(sources)}[/]")
            grow(child, (other.name, other.version))

    for key in sorted(
        (k for k in by_near if k[0] == table), key=lambda k: (k[1] is None, k[1] or 0)
    ):
        grow(tree.add(f"{key[0]}@v{key[1]}"), key)
