"""``lakeworks lineage TABLE``: upstream and downstream as trees; ``lakeworks lineage
around NODE``: the graph around any node (table, run, model, view, endpoint, prediction)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from rich.table import Table
from rich.tree import Tree
from typer.core import TyperGroup

from lakeworks.cli.session import console, workspace
from lakeworks.lineage import Edge, LineageGraph

if TYPE_CHECKING:
    from lakeworks.serving.graph import ObjectGraph


class TableByDefault(TyperGroup):
    """``lakeworks lineage orders`` stays ``lakeworks lineage table orders``: a first word
    that names no subcommand is a table (``lineage table around`` reaches one so named)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["table", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=TableByDefault,
    no_args_is_help=True,
    help="Lineage: a table's upstream and downstream, or the graph around any node.",
)


@app.command("table")
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


@app.command("around")
def around(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument(help="table:orders, run:<id>, model:churn/2, ...")],
    depth: Annotated[int, typer.Option(help="how many hops to follow")] = 3,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """The graph around any node: what it was made from and what was made from it
    (tables, tracking runs, model versions, views, endpoints, predictions)."""
    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    with workspace(ctx) as ws:
        graph = ws.lineage.around(node, depth)
    if output == "json":
        typer.echo(json.dumps({**graph.to_dict(), "nodes": graph.nodes()}, indent=2, default=str))
        return
    console().print(edges_table(graph))


def edges_table(graph: ObjectGraph) -> Table:
    """The nodes (root first) in the title, and one row per edge with how it was made."""
    out = Table("source", "target", "how", title=f"{len(graph.nodes())} nodes around {graph.root}")
    for link in graph.links:
        out.add_row(link.source, link.target, _how(link.runs))
    if not graph.links:
        out.add_row(graph.root, "[dim](nothing recorded)[/]", "")
    return out


def _how(runs: list[dict[str, Any]]) -> str:
    """The distinct operations (or jobs) of an edge's records, in order."""
    found = dict.fromkeys(str(r.get("operation") or r.get("job") or r.get("kind")) for r in runs)
    return ", ".join(found)
