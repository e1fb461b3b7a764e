"""``lakeworks tables list|show|history|vacuum|drop``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace

app = typer.Typer(help="List, inspect and maintain tables.", no_args_is_help=True)


@app.command("list")
def list_tables(ctx: typer.Context) -> None:
    """The tables of the workspace."""
    with workspace(ctx) as ws:
        out = Table("name", "kind", "created", "by", title=f"tables in {ws.name}")
        for t in ws.tables():
            out.add_row(t.name, t.kind, f"{t.created_at:%Y-%m-%d %H:%M}", t.created_by)
        console().print(out)


@app.command("show")
def show(ctx: typer.Context, name: str) -> None:
    """A table's schema, version, rows, files and size."""
    with workspace(ctx) as ws:
        info = ws.describe(name)
    out = console()
    out.print(f"[bold]{info.workspace}.{info.name}[/] version {info.version}")
    out.print(f"rows {info.num_rows}, files {info.num_files}, {info.size_bytes} bytes")
    out.print(f"location {info.location}")
    if info.description:
        out.print(info.description)
    schema = Table("column", "type", "nullable")
    for field in info.schema:
        schema.add_row(field.name, str(field.type), "yes" if field.nullable else "no")
    out.print(schema)


@app.command("history")
def history(
    ctx: typer.Context,
    name: str,
    limit: Annotated[int | None, typer.Option(help="newest N versions")] = None,
) -> None:
    """Every version of a table, newest first."""
    with workspace(ctx) as ws:
        versions = ws.history(name, limit)
    out = Table("version", "when", "operation", "user", "rows added", "rows removed")
    for v in versions:
        out.add_row(
            str(v.version),
            f"{v.timestamp:%Y-%m-%d %H:%M:%S}",
            v.operation,
            v.user or "",
            "" if v.rows_added is None else str(v.rows_added),
            "" if v.rows_removed is None else str(v.rows_removed),
        )
    console().print(out)


@app.command("vacuum")
def vacuum(
    ctx: typer.Context,
    name: str,
    retention_hours: Annotated[int, typer.Option(help="keep files newer versions need")] = 168,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list, delete nothing")] = False,
) -> None:
    """Delete files that no version within the retention needs."""
    with workspace(ctx) as ws:
        files = ws.vacuum(name, retention_hours=retention_hours, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for path in files:
        typer.echo(path)
    typer.echo(f"{verb} {len(files)} file(s) from {name}")


@app.command("drop")
def drop(
    ctx: typer.Context,
    name: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask to confirm")] = False,
) -> None:
    """Remove a table and delete its files (also one whose first write never finished)."""
    if not yes:
        typer.confirm(f"drop table {name!r} and delete its files?", abort=True)
    with workspace(ctx) as ws:
        ws.drop_table(name)
    typer.echo(f"dropped table {name}")
