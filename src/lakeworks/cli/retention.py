"""``lakeworks retention set|list|remove|run|runs``: how long tables keep old versions
and rows."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace

app = typer.Typer(help="Retention of old table versions and rows.", no_args_is_help=True)


@app.command("set")
def set_rule(
    ctx: typer.Context,
    table: str,
    versions_days: Annotated[
        float | None, typer.Option(help="vacuum versions older than this")
    ] = None,
    rows_days: Annotated[float | None, typer.Option(help="delete rows older than this")] = None,
    rows_column: Annotated[
        str | None, typer.Option(help="the rows' time column [quarantine: quarantined_at]")
    ] = None,
) -> None:
    """Set TABLE's retention rule, e.g. ``retention set orders__quarantine --rows-days 30``."""
    with workspace(ctx) as ws:
        rule = ws.retention.set(
            table, versions_days=versions_days, rows_days=rows_days, rows_column=rows_column
        )
    typer.echo(f"retention of {rule.table}: {_describe(rule.versions_days, rule.rows_days)}")


@app.command("list")
def list_rules(ctx: typer.Context) -> None:
    with workspace(ctx) as ws:
        out = Table("table", "versions (days)", "rows (days)", "by column", title="retention")
        for r in ws.retention.rules():
            out.add_row(r.table, _num(r.versions_days), _num(r.rows_days), r.rows_column or "")
        console().print(out)


@app.command("remove")
def remove(ctx: typer.Context, table: str) -> None:
    with workspace(ctx) as ws:
        ws.retention.remove(table)
    typer.echo(f"retention rule of {table} removed")


@app.command("run")
def run(ctx: typer.Context, table: Annotated[str | None, typer.Argument()] = None) -> None:
    """Apply the rules now (of TABLE, or all); say what each action removed and freed."""
    with workspace(ctx) as ws:
        done = ws.retention.run(table)
    for r in done:
        what = f"error: {r.error}" if r.error else (
            f"{r.rows_expired} rows expired" if r.kind == "expire"
            else f"{r.files_removed} files, {r.bytes_freed} bytes freed"
        )  # fmt: skip
        typer.echo(f"{r.table} {r.kind}: {what}")
    typer.echo(f"{len(done)} actions, {sum(r.bytes_freed for r in done)} bytes freed")


@app.command("runs")
def runs(ctx: typer.Context, limit: int = 20) -> None:
    """The latest retention and gc actions of the workspace."""
    with workspace(ctx) as ws:
        out = Table("when", "table", "kind", "files", "bytes freed", "rows", "error")
        for r in ws.retention.runs(limit):
            out.add_row(
                r.ran_at.isoformat(timespec="seconds"), r.table or "", r.kind,
                str(r.files_removed), str(r.bytes_freed), str(r.rows_expired), r.error or "",
            )  # fmt: skip
        console().print(out)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _describe(versions: float | None, rows: float | None) -> str:
    parts = [f"versions {versions:g} days"] if versions is not None else []
    parts += [f"rows {rows:g} days"] if rows is not None else []
    return ", ".join(parts)
