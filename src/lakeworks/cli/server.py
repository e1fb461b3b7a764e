"""``lakeworks server [--host] [--port]``: the REST API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from lakeworks.cli.session import options
from lakeworks.config import Settings


def auth_mode(settings: Settings) -> str:
    """The startup line's word on authentication."""
    if settings.auth_required:
        oidc = f" or OIDC JWTs of {settings.oidc_issuer}" if settings.oidc_issuer else ""
        return f"required (Authorization: Bearer <API token{oidc}>)"
    if settings.host in ("127.0.0.1", "localhost", "::1"):
        return "off (loopback only; callers name themselves with X-Lakeworks-User)"
    return (
        "OFF on a non-loopback address (LAKEWORKS_AUTH=false): anyone who reaches "
        "this server acts as any user"
    )


def server(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="address [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port [default: 8765]")] = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="do not schedule pipelines in this process")
    ] = False,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="log every request")
    ] = True,
) -> None:
    """Serve the REST API (OpenAPI docs at /docs, metrics at /metrics).

    Requests need an API token unless the server binds loopback (or LAKEWORKS_AUTH=false).

    SIGTERM or Ctrl-C stops running SQL statements (their requests get a 503) and exits.
    """
    from lakeworks.server.app import create_app
    from lakeworks.server.shutdown import serve

    settings = options(ctx).settings(
        host=host, port=port, scheduler=False if no_scheduler else None
    )
    app = create_app(settings)
    typer.echo(f"lakeworks API on http://{settings.host}:{settings.port} (docs at /docs)")
    typer.echo(f"authentication: {auth_mode(settings)}")
    serve(app, settings.host, settings.port, access_log=access_log)
