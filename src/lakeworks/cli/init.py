"""``lakeworks init [--workspace NAME]``: create the embedded platform and a workspace."""

from __future__ import annotations

from typing import Annotated

import typer

import lakeworks as lw
from lakeworks.cli.session import options
from lakeworks.platform import Platform


def init(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="workspace to create")
    ] = None,
) -> None:
    """Create the catalog (running migrations), the storage and a workspace."""
    settings = options(ctx).settings(workspace=workspace)
    Platform.open(settings, migrate=True).close()  # the explicit migration step
    ws = lw.connect(settings=settings)
    try:
        ws.platform.storage  # noqa: B018 - creates and checks the table storage
    finally:
        ws.platform.close()
    typer.echo(f"workspace  {ws.name}")
    typer.echo(f"home       {settings.home.resolve()}")
    typer.echo(f"catalog    {_redacted(settings.resolved_metadata_url)}")
    typer.echo(f"tables     {settings.resolved_storage_url}")
    typer.echo(f"next: lakeworks -w {ws.name} ingest FILE --table NAME")


def _redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
