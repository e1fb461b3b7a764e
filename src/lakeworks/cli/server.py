"""``lakeworks server [--host] [--port] [--ssl-certfile --ssl-keyfile]``: the REST API
with uvicorn, over HTTPS when given a certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakeworks.cli.session import options
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError


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
    ssl_certfile: Annotated[
        Path | None, typer.Option("--ssl-certfile", help="PEM certificate: serve HTTPS")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option("--ssl-keyfile", help="PEM private key of the certificate")
    ] = None,
) -> None:
    """Serve the web UI at /, the REST API (OpenAPI docs at /docs) and metrics at /metrics.

    Requests need an API token unless the server binds loopback (or LAKEWORKS_AUTH=false).

    SIGTERM or Ctrl-C stops running SQL statements (their requests get a 503) and exits.
    """
    from lakeworks.server.app import create_app
    from lakeworks.server.shutdown import serve

    settings = options(ctx).settings(
        host=host, port=port, scheduler=False if no_scheduler else None
    )
    tls = tls_files(ssl_certfile, ssl_keyfile)
    app = create_app(settings)
    scheme = "https" if tls else "http"
    typer.echo(
        f"lakeworks on {scheme}://{settings.host}:{settings.port} (UI at /, API docs at /docs)"
    )
    typer.echo(f"authentication: {auth_mode(settings)}")
    serve(app, settings.host, settings.port, access_log=access_log, tls=tls)


def tls_files(certfile: Path | None, keyfile: Path | None) -> tuple[str, str] | None:
    """The certificate and key to serve HTTPS with (both or neither), checked to exist."""
    if certfile is None and keyfile is None:
        return None
    if certfile is None or keyfile is None:
        raise InvalidInputError(
            "--ssl-certfile and --ssl-keyfile go together",
            hint="pass both: the PEM certificate and its private key",
        )
    for option, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if not path.is_file():
            raise InvalidInputError(f"{option} {path} is not a file", option=option)
    return str(certfile), str(keyfile)
