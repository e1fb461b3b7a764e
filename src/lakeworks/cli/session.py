"""What every command shares: the global options, settings resolved once, and error output.

A ``LakeworksError`` raised by any command becomes one line ``error: <message>`` on stderr
and exit code 1; usage errors keep typer's exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.context import Context, Principal
from lakeworks.errors import LakeworksError
from lakeworks.platform import Platform


@dataclass(frozen=True)
class GlobalOptions:
    """``--workspace`` and ``--home`` as given on the command line (None: from Settings)."""

    workspace: str | None = None
    home: Path | None = None

    def settings(self, **overrides: Any) -> Settings:
        """Settings.load with these options; non-None ``overrides`` win over them."""
        values = {"home": self.home, "workspace": self.workspace}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Settings.load(**values)


def options(ctx: typer.Context) -> GlobalOptions:
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, GlobalOptions) else GlobalOptions()


@contextmanager
def workspace(ctx: typer.Context, create: bool = False) -> Iterator[lw.Workspace]:
    """The workspace named by the global options, closed after the command."""
    ws = lw.connect(settings=options(ctx).settings(), create=create)
    try:
        yield ws
    finally:
        ws.platform.close()


@contextmanager
def platform(ctx: typer.Context) -> Iterator[Platform]:
    p = Platform.open(options(ctx).settings())
    try:
        yield p
    finally:
        p.close()


def local_admin(p: Platform, workspace: str) -> Context:
    """The person at the machine, as an administrator of the catalog they can open: the
    security commands run as them, and the guard records their changes in the audit log.
    With the ``token`` setting (LAKEWORKS_TOKEN), the token's principal instead, checked."""
    if p.settings.token is not None:
        from lakeworks.security.authn import Authenticator

        authenticator = Authenticator(p.settings, p.identities, p.tokens)
        principal = authenticator.principal(f"Bearer {p.settings.token}")
        return Context(workspace, principal.name, principal, source="cli")
    user = Context.local(workspace, p.settings.user).user
    return Context(workspace, user, Principal(user, admin=True, via="local"), source="cli")


def console() -> Console:
    """A console on the current stdout (so test runners that swap stdout capture it)."""
    return Console(highlight=False, soft_wrap=False)


class ErrorReportingGroup(TyperGroup):
    """The root group: turns a LakeworksError from any command into one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LakeworksError as exc:
            message = " ".join(str(exc).split())
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(1) from None
