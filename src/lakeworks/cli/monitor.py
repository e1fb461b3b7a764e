"""``lakeworks monitor compare REFERENCE CURRENT``: the drift report between two tables or
table versions (``orders@v3 orders``), as a table or as JSON."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.monitoring import DriftReport

app = typer.Typer(
    help="Drift between tables and table versions, and of serving endpoints.", no_args_is_help=True
)


@app.command("compare")
def compare(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="table or table@vN to compare against")],
    current: Annotated[str, typer.Argument(help="table or table@vN to check")],
    columns: Annotated[
        list[str] | None, typer.Option("--columns", "-c", help="a column to compare (repeat)")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(help="ks, wasserstein, psi, jensenshannon, chisquare or z for every column"),
    ] = None,
    threshold: Annotated[float | None, typer.Option(help="the method's threshold")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Which columns drifted from REFERENCE to CURRENT; exits 1 when the data drifted."""
    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    names = [n for given in columns or [] for n in given.split(",") if n] or None
    with workspace(ctx) as ws:
        report = ws.monitor.compare(
            reference, current, columns=names, method=method, threshold=threshold
        )
    if output == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        console().print(report_table(report))
        console().print(report.summary(), markup=False)
    if report.drifted:
        raise typer.Exit(1)


def report_table(report: DriftReport) -> Table:
    out = Table(
        "column",
        "kind",
        "method",
        "statistic",
        "threshold",
        "drifted",
        "nulls ref / cur",
        title=f"drift from {report.reference.source} ({report.reference.rows} rows) to "
        f"{report.current.source} ({report.current.rows} rows)",
    )
    for c in report.columns:
        statistic = "" if c.statistic is None else f"{c.statistic:.4g}"
        out.add_row(
            c.column,
            c.kind,
            c.method,
            statistic,
            f"{c.threshold:g}",
            "[red]yes[/red]" if c.drifted else "no",
            f"{c.reference_nulls:.1%} / {c.current_nulls:.1%}",
        )
    for name, why in report.skipped.items():
        out.add_row(name, "", "skipped", "", "", "", why)
    return out
