"""``lakeworks users create|list|disable`` and ``lakeworks members list|grant|revoke``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, local_admin, platform

app = typer.Typer(help="Users, service accounts and groups.", no_args_is_help=True)
members = typer.Typer(help="Roles in a workspace (-w): list, grant, revoke.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    service: Annotated[bool, typer.Option("--service", help="a service account")] = False,
    admin: Annotated[bool, typer.Option("--admin", help="a platform administrator")] = False,
) -> None:
    """Create a user or service account (or change its kind and admin flag)."""
    with platform(ctx) as p:
        made = p.identities.create_user(
            local_admin(p, p.settings.workspace), name, "service" if service else "user", admin
        )
    typer.echo(f"{made.kind} {made.name}{' (admin)' if made.admin else ''}")


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """Users and service accounts."""
    with platform(ctx) as p:
        found = p.identities.list_users(local_admin(p, p.settings.workspace))
    out = Table("name", "kind", "admin", "disabled", "created")
    for u in found:
        out.add_row(u.name, u.kind, str(u.admin), str(u.disabled), f"{u.created_at:%Y-%m-%d}")
    console().print(out)


@app.command("disable")
def disable(
    ctx: typer.Context,
    name: str,
    enable: Annotated[bool, typer.Option("--enable", help="enable it again")] = False,
) -> None:
    """Disable a user: every token of theirs is refused from the next request."""
    with platform(ctx) as p:
        p.identities.disable_user(local_admin(p, p.settings.workspace), name, not enable)
    typer.echo(f"{'enabled' if enable else 'disabled'} {name}")


@app.command("add-to-group")
def add_to_group(ctx: typer.Context, group: str, member: str) -> None:
    """Add MEMBER to GROUP (grants to the group apply to the member)."""
    with platform(ctx) as p:
        p.identities.add_to_group(local_admin(p, p.settings.workspace), group, member)
    typer.echo(f"{member} is in {group}")


@app.command("remove-from-group")
def remove_from_group(ctx: typer.Context, group: str, member: str) -> None:
    with platform(ctx) as p:
        p.identities.remove_from_group(local_admin(p, p.settings.workspace), group, member)
    typer.echo(f"{member} is not in {group}")


@members.command("list")
def list_members(ctx: typer.Context) -> None:
    """The roles granted in the workspace."""
    with platform(ctx) as p:
        grants = p.identities.grants(local_admin(p, p.settings.workspace))
    out = Table("grantee", "kind", "role", "granted", "by")
    for g in grants:
        out.add_row(g.grantee, g.grantee_kind, g.role, f"{g.created_at:%Y-%m-%d}", g.created_by)
    console().print(out)


@members.command("grant")
def grant(
    ctx: typer.Context,
    grantee: str,
    role: str,
    group: Annotated[bool, typer.Option("--group", help="GRANTEE is a group")] = False,
) -> None:
    """Give GRANTEE ROLE (viewer, editor, maintainer, owner) in the workspace."""
    with platform(ctx) as p:
        caller = local_admin(p, p.settings.workspace)
        made = p.identities.grant(caller, grantee, role, "group" if group else "user")
    typer.echo(f"{made.grantee_kind} {made.grantee} is {made.role} in {made.workspace}")


@members.command("revoke")
def revoke(
    ctx: typer.Context,
    grantee: str,
    group: Annotated[bool, typer.Option("--group", help="GRANTEE is a group")] = False,
) -> None:
    """Remove GRANTEE's role in the workspace."""
    with platform(ctx) as p:
        caller = local_admin(p, p.settings.workspace)
        p.identities.revoke(caller, grantee, "group" if group else "user")
    typer.echo(f"{grantee} has no role in {caller.workspace}")
