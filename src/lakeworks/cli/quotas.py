"""``lakeworks quotas show|set`` and ``lakeworks costs``."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, platform
from lakeworks.context import Context
from lakeworks.security.costs import QUANTITIES, CostReport

app = typer.Typer(help="Show and set the quotas of a workspace.", no_args_is_help=True)
FORMATS = ("table", "csv", "json")
HEADERS = {  # short column titles of the table format (CSV and JSON keep the names)
    "storage_gb_hours": "storage GB-h",
    "task_cpu_hours": "task CPU-h",
    "task_peak_memory_gb": "peak mem GB",
    "sql_scanned_gb": "scanned GB",
    "serving_requests": "requests",
    "serving_cpu_hours": "serve CPU-h",
}


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Every quota of the workspace (-w): its limit and current use."""
    with platform(ctx) as p:
        out = Table("quota", "limit", "used", "unit", "share")
        for q in p.quotas.show(Context.local(p.settings.workspace, p.settings.user)):
            share = f"{q.used / q.limit:.0%}" if q.limit else ""
            limit = "none" if q.limit is None else f"{q.limit:,g}"
            out.add_row(q.name, limit, f"{q.used:,g}", q.unit, share)
        console().print(out)


@app.command("set")
def set_quota(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the quota, e.g. tables or storage_bytes")],
    limit: Annotated[str, typer.Argument(help="the new limit, or 'none' to remove it")],
) -> None:
    """Set one quota of the workspace (-w); 'none' removes it."""
    value = None if limit.strip().lower() == "none" else _number(limit)
    with platform(ctx) as p:
        status = p.quotas.set(Context.local(p.settings.workspace, p.settings.user), name, value)
    shown = "no limit" if status.limit is None else f"limit {status.limit:,g} {status.unit}"
    typer.echo(f"{status.name}: {shown} (in use {status.used:,g})")


def costs(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help="groups: workspace, user, pipeline")] = "workspace",
    since: Annotated[str, typer.Option(help="a span back (30d, 12h) or an ISO time")] = "30d",
    workspace: Annotated[
        str | None, typer.Option("--in", help="one workspace only [default: all]")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Usage and cost by workspace, user and pipeline, from the settings' price list."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    with platform(ctx) as p:
        p.usage.sample([workspace] if workspace else None)  # storage as of now counts too
        report = p.costs.report(by, since=since, workspace=workspace)
    {"table": _table, "csv": _csv, "json": _json}[fmt](report)


def _table(report: CostReport) -> None:
    out = Table(*report.by, *(HEADERS[q] for q in QUANTITIES), "cost", title=_title(report))
    for line in report.lines:
        quantities = [f"{line.quantities[q]:,.4g}" for q in QUANTITIES]
        out.add_row(*(str(v or "") for v in line.group.values()), *quantities, f"{line.total:,.4f}")
    out.add_section()
    out.add_row("total", *[""] * (len(report.by) + len(QUANTITIES) - 1), f"{report.total:,.4f}")
    console().print(out)


def _csv(report: CostReport) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow([*report.by, *QUANTITIES, "cost"])
    for line in report.lines:
        quantities = [line.quantities[q] for q in QUANTITIES]
        writer.writerow([*line.group.values(), *quantities, round(line.total, 6)])


def _json(report: CostReport) -> None:
    lines = [
        {**line.group, **line.quantities, "costs": line.costs, "cost": line.total}
        for line in report.lines
    ]
    body = {
        "by": list(report.by),
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "total": report.total,
        "lines": lines,
    }
    typer.echo(json.dumps(body, indent=2))


def _title(report: CostReport) -> str:
    return f"costs {report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"


def _number(text: str) -> float:
    try:
        return float(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number or 'none'") from None
