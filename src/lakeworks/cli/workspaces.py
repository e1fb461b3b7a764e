"""``lakeworks workspaces list|create``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, platform
from lakeworks.context import Context

app = typer.Typer(help="List and create workspaces.", no_args_is_help=True)


@app.command("list")
def list_workspaces(ctx: typer.Context) -> None:
    """Every workspace of the platform."""
    with platform(ctx) as p:
        out = Table("name", "created", "by", "description")
        for w in p.catalog.workspaces():
            out.add_row(w.name, f"{w.created_at:%Y-%m-%d %H:%M}", w.created_by, w.description or "")
        console().print(out)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    description: Annotated[str | None, typer.Option(help="what the workspace is for")] = None,
) -> None:
    """Create a workspace (an error when the name is taken)."""
    with platform(ctx) as p:
        user = Context.local(name, p.settings.user).user
        p.catalog.create_workspace(name, user, description)
    typer.echo(f"created workspace {name}")
