"""``lakeworks audit list|export|verify``: the audit log of the local catalog."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from lakeworks.cli.session import console, local_admin, platform
from lakeworks.errors import InvalidInputError
from lakeworks.security.tokens import duration

app = typer.Typer(help="List, export and verify the audit log.", no_args_is_help=True)

Since = Annotated[str | None, typer.Option(help="1d, 12h, or an ISO date/time")]
User = Annotated[str | None, typer.Option("--user", "-u", help="only this user's")]
Action = Annotated[str | None, typer.Option(help="only actions starting so: tables.drop")]
Every = Annotated[bool, typer.Option("--all", help="every workspace's, not only -w's")]


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    if re.match(r"^\d+[smhdw]$", text):
        return datetime.now(UTC) - duration(text)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"invalid --since {text!r}", hint="give 1d, 12h or 2026-01-31"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _filters(since: str | None, user: str | None, action: str | None, every: bool) -> Any:
    return {"since": _since(since), "user": user, "action": action, "all_workspaces": every}


@app.command("list")
def list_records(
    ctx: typer.Context,
    since: Since = None,
    user: User = None,
    action: Action = None,
    all_workspaces: Every = False,
    limit: Annotated[int, typer.Option(help="most records shown")] = 1000,
) -> None:
    """Audit records, oldest first."""
    with platform(ctx) as p:
        caller = local_admin(p, p.settings.workspace)
        found = p.audit.list(caller, limit=limit, **_filters(since, user, action, all_workspaces))
    out = Table("seq", "at (UTC)", "user", "workspace", "action", "object", "outcome", "source")
    for r in found:
        at = f"{r.at:%Y-%m-%d %H:%M:%S}"
        out.add_row(str(r.seq), at, r.user, r.workspace or "", r.action, r.object or "",
                    r.outcome, r.source or "")  # fmt: skip
    console().print(out)


@app.command("export")
def export(
    ctx: typer.Context,
    since: Since = None,
    user: User = None,
    action: Action = None,
    all_workspaces: Every = False,
) -> None:
    """The records as JSON lines on stdout."""
    with platform(ctx) as p:
        caller = local_admin(p, p.settings.workspace)
        for line in p.audit.export(caller, **_filters(since, user, action, all_workspaces)):
            typer.echo(line)


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Check the hash chain; name each changed, deleted or inserted record (exit 1)."""
    with platform(ctx) as p:
        result = p.audit.verify(local_admin(p, p.settings.workspace))
    for problem in result.problems:
        typer.echo(f"tampered: {problem}", err=True)
    typer.echo(f"{result.records} records; head {result.head_seq} {result.head_hash}")
    if not result.ok:
        raise typer.Exit(1)
    typer.echo("the audit log is intact")
