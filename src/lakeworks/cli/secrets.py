"""``lakeworks secrets set|list|delete|rotate-key``: workspace secrets, encrypted at rest.

``set`` reads the value from stdin (or a hidden prompt), never from the command line,
so it stays out of shell history and process lists; no command prints a value.
"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from lakeworks.cli.session import console, platform, workspace
from lakeworks.context import Context

app = typer.Typer(help="Secrets that connections name as secret://name.", no_args_is_help=True)


@app.command("set")
def set_secret(ctx: typer.Context, name: str) -> None:
    """Create or replace secret NAME with the value read from stdin (or a hidden prompt)."""
    if sys.stdin.isatty():
        value = typer.prompt(f"value of {name}", hide_input=True)
    else:
        value = sys.stdin.read().rstrip("\r\n")
    with workspace(ctx, create=True) as ws:
        ws.secrets.set(name, value)
    typer.echo(f"secret {name} set in {ws.name} (use it as secret://{name})")


@app.command("list")
def list_secrets(ctx: typer.Context) -> None:
    """The secrets' names and who changed them when (never their values)."""
    with workspace(ctx) as ws:
        out = Table("secret", "updated", "by", title=f"secrets in {ws.name}")
        for s in ws.secrets.list():
            out.add_row(s.name, s.updated_at.isoformat(timespec="seconds"), s.updated_by)
        console().print(out)


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    with workspace(ctx) as ws:
        ws.secrets.delete(name)
    typer.echo(f"secret {name} deleted")


@app.command("rotate-key")
def rotate_key(ctx: typer.Context) -> None:
    """Re-encrypt every secret with the newest key of LAKEWORKS_SECRETS_KEY (all at once:
    a secret no configured key opens stops it and changes nothing)."""
    with platform(ctx) as p:
        done = p.secrets.rotate_key(Context.local(p.settings.workspace, p.settings.user))
    typer.echo(f"re-encrypted {done.rotated} secrets in {done.workspaces} workspaces")
