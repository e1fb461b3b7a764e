"""``lakeworks server [--host] [--port]``: the REST API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from lakeworks.cli.session import options


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
    """Serve the web UI at /, the REST API (OpenAPI docs at /docs) and metrics at /metrics.

    SIGTERM or Ctrl-C stops running SQL statements (their requests get a 503) and exits.
    """
    from lakeworks.server.app import create_app
    from lakeworks.server.shutdown import serve

    settings = options(ctx).settings(
        host=host, port=port, scheduler=False if no_scheduler else None
    )
    app = create_app(settings)
    typer.echo(f"lakeworks on http://{settings.host}:{settings.port} (UI at /, API docs at /docs)")
    serve(app, settings.host, settings.port, access_log=access_log)
