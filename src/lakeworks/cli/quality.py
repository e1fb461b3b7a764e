"""``lakeworks quality add|list|remove|run|results|reload|profile TABLE`` (``run`` takes
several tables, or none for every table with checks)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import InvalidInputError
from lakeworks.quality import Check

app = typer.Typer(help="Data quality checks, results and quarantine.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    table: str,
    kind: Annotated[str, typer.Argument(help="not_null, unique, between, matches, ...")],
    columns: Annotated[list[str] | None, typer.Argument(help="the column(s) checked")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="key=value (value as JSON or text)")
    ] = None,
    severity: Annotated[str, typer.Option(help="error or warn")] = "error",
    max_rows: Annotated[int | None, typer.Option(help="fail above N violating rows")] = None,
    max_percent: Annotated[float | None, typer.Option(help="fail above P% violating")] = None,
    name: Annotated[str | None, typer.Option(help="name of the check")] = None,
    webhook: Annotated[str | None, typer.Option(help="URL to POST failures to")] = None,
) -> None:
    """Attach a check, e.g. ``quality add orders between amount -p min=0 -p max=100``."""
    spec = {
        "kind": kind,
        "columns": columns or [],
        "params": _params(param or []),
        "severity": severity,
        "max_rows": max_rows,
        "max_percent": max_percent,
        "name": name,
        "webhook": webhook,
    }
    with workspace(ctx) as ws:
        added = ws.quality.add(table, [Check.from_spec(spec)])
    typer.echo(f"added {added[0].name} to {table}")


def _params(pairs: list[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInputError(f"--param {pair!r} is not key=value")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


@app.command("list")
def list_checks(ctx: typer.Context, table: str) -> None:
    """The checks attached to a table."""
    with workspace(ctx) as ws:
        infos = ws.quality.list(table)
    out = Table("name", "kind", "severity", "threshold", "params", title=f"checks on {table}")
    for info in infos:
        c = info.check
        threshold = " / ".join(
            t
            for t in (
                f"{c.max_rows} rows" if c.max_rows is not None else "",
                f"{c.max_percent}%" if c.max_percent is not None else "",
            )
            if t
        )
        out.add_row(info.name, c.kind, c.severity, threshold, json.dumps(c.to_spec()["params"]))
    console().print(out)


@app.command("remove")
def remove(ctx: typer.Context, table: str, name: str) -> None:
    """Remove a check by name."""
    with workspace(ctx) as ws:
        ws.quality.remove(table, name)
    typer.echo(f"removed {name} from {table}")


@app.command("run")
def run(
    ctx: typer.Context,
    tables: Annotated[
        list[str] | None, typer.Argument(help="tables to check (default: every table with checks)")
    ] = None,
    version: Annotated[int | None, typer.Option(help="a version of the one table named")] = None,
) -> None:
    """Run the checks of tables; exits 1 when a check of error severity fails."""
    if version is not None and len(tables or []) != 1:
        raise typer.BadParameter("--version needs exactly one table", param_hint="--version")
    with workspace(ctx) as ws:
        if version is not None:
            reports = [ws.quality.run(tables[0], version)]
        else:
            reports = ws.quality.run_many(tables)
    for report in reports:
        console().print(report.summary(), markup=False)
    if not reports:
        console().print("no table has checks; add some with `lakeworks quality add`")
    if not all(r.passed for r in reports):
        raise typer.Exit(1)


@app.command("results")
def results(
    ctx: typer.Context,
    table: str,
    limit: Annotated[int, typer.Option(help="newest N results")] = 20,
    check: Annotated[str | None, typer.Option(help="only this check")] = None,
) -> None:
    """Stored check results, newest first."""
    with workspace(ctx) as ws:
        found = ws.quality.results(table, check=check, limit=limit)
    out = Table("when", "version", "trigger", "check", "status", "violating", "message")
    for r in found:
        out.add_row(
            f"{r.created_at:%Y-%m-%d %H:%M:%S}",
            "" if r.version is None else str(r.version),
            r.trigger,
            r.check,
            r.status,
            str(r.violating),
            r.message,
        )
    console().print(out)


@app.command("reload")
def reload(
    ctx: typer.Context,
    table: str,
    where: Annotated[str | None, typer.Option(help="only quarantined rows matching")] = None,
) -> None:
    """Write the rows the checks quarantined again; rows still failing stay quarantined."""
    with workspace(ctx) as ws:
        done = ws.quality.reload(table, where)
    typer.echo(
        f"reloaded {done.rows_reloaded} rows into {table}: {done.rows_landed} landed, "
        f"{done.rows_still_quarantined} still quarantined"
    )


@app.command("profile")
def profile(
    ctx: typer.Context,
    table: str,
    version: Annotated[int | None, typer.Option(help="a version (default: latest)")] = None,
) -> None:
    """Per-column statistics of a table version."""
    with workspace(ctx) as ws:
        p = ws.quality.profile(table, version)
    out = Table(
        "column",
        "type",
        "nulls",
        "distinct",
        "min",
        "max",
        "mean",
        title=f"{table} version {p.version}: {p.rows} rows",
    )
    for name, s in p.columns.items():
        mean = s.get("mean")
        out.add_row(
            name,
            s["type"],
            str(s["nulls"]),
            str(s["distinct"]),
            str(s.get("min", "")),
            str(s.get("max", "")),
            "" if mean is None else f"{mean:.4g}",
        )
    console().print(out)
