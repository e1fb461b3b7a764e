"""``lakeworks tokens create|list|revoke``: API tokens, run against the local catalog.

The first administrator's token comes from here (bootstrap, see docs/security.md)::

    lakeworks tokens create --user admin --admin

These commands act as the person at the machine, who owns the catalog they can open; each
change is recorded in the audit log under their login.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, local_admin, platform
from lakeworks.security.tokens import TokenInfo

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", "-u", help="whose token it is")],
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="the one workspace it reaches")
    ] = None,
    role: Annotated[
        str | None, typer.Option(help="viewer, editor, maintainer or owner [default: the user's]")
    ] = None,
    expires: Annotated[str, typer.Option(help="lifetime: 30d, 12h, 2w; 'never'")] = "90d",
    admin: Annotated[
        bool, typer.Option("--admin", help="make USER a platform administrator (all workspaces)")
    ] = False,
    service: Annotated[bool, typer.Option("--service", help="USER is a service account")] = False,
    description: Annotated[str | None, typer.Option(help="what the token is for")] = None,
) -> None:
    """Create a token and print it once: it is stored only as a hash."""
    with platform(ctx) as p:
        ws = workspace or p.settings.workspace
        caller = local_admin(p, ws)
        if admin or service:
            p.identities.create_user(caller, user, "service" if service else "user", admin=admin)
        made = p.tokens.create(
            caller,
            user,
            role=role,
            expires=None if expires == "never" else expires,
            description=description,
            scoped=not admin and workspace is not None,
        )
    typer.echo(f"token {made.token.id} for {user}: {_scope(made.token, admin)}", err=True)
    typer.echo("shown once, store it now (send it as Authorization: Bearer <token>):", err=True)
    typer.echo(made.secret)


@app.command("list")
def list_tokens(
    ctx: typer.Context,
    all_workspaces: Annotated[bool, typer.Option("--all", help="every workspace's")] = False,
) -> None:
    """Tokens of the workspace (never their secrets)."""
    with platform(ctx) as p:
        caller = local_admin(p, p.settings.workspace)
        found = p.tokens.list(caller, all_workspaces=all_workspaces)
    out = Table("id", "prefix", "user", "workspace", "role", "expires", "last used", "revoked")
    for t in found:
        out.add_row(
            str(t.id),
            t.prefix + "...",
            t.user,
            t.workspace or "*",
            t.role or "",
            _when(t.expires_at),
            _when(t.last_used_at),
            _when(t.revoked_at),
        )
    console().print(out)


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token: every request with it is refused (401) from then on."""
    with platform(ctx) as p:
        caller = local_admin(p, p.settings.workspace)
        info = p.tokens.revoke(caller, token_id)
    typer.echo(f"revoked token {info.id} ({info.prefix}...) of {info.user}")


def _scope(info: TokenInfo, admin: bool) -> str:
    if info.workspace:
        reach = f"workspace {info.workspace} as {info.role or 'their role'}"
    else:
        reach = "every workspace" + (" (administrator)" if admin else " they hold a role in")
    until = f"{info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else "never"
    return f"{reach}; expires {until}"


def _when(at: object) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at is not None else ""
