"""``lakeworks serve --endpoints churn[,other] --workers N [--host] [--port]``: dedicated
serving replicas (the prediction route, /health and /metrics) in N worker processes."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lakeworks.cli.server import auth_mode
from lakeworks.cli.session import options
from lakeworks.context import Context


def serve(
    ctx: typer.Context,
    endpoints: Annotated[
        str,
        typer.Option(help="endpoints to answer, comma-separated (ws/name or name); all if empty"),
    ] = "",
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    host: Annotated[str | None, typer.Option(help="address [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port [default: 8765]")] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="log every request")
    ] = False,
) -> None:
    """Serve predictions only, in ``--workers`` processes sharing one port.

    Each worker reads endpoint configurations from the catalog and sees a change made
    anywhere within serving_version_ttl_ms, without a restart.
    """
    import uvicorn

    from lakeworks.platform import Platform
    from lakeworks.server.replica import served_endpoints

    settings = options(ctx).settings(host=host, port=port, serving_endpoints=endpoints or None)
    platform = Platform.open(settings)
    try:  # refuse unknown endpoints before starting
        for ws, name in sorted(served_endpoints(settings) or ()):
            platform.serving.show(Context(workspace=ws, user="serve"), name)
    finally:
        platform.close()
    # each worker process builds its app with Settings.load(): hand it what the command
    # line chose, through the environment the workers inherit
    os.environ["LAKEWORKS_HOME"] = str(settings.home.resolve())
    os.environ["LAKEWORKS_WORKSPACE"] = settings.workspace
    os.environ["LAKEWORKS_SERVING_ENDPOINTS"] = settings.serving_endpoints
    typer.echo(f"lakeworks serving on http://{settings.host}:{settings.port} ({workers} workers)")
    typer.echo(f"authentication: {auth_mode(settings)}")
    uvicorn.run(
        "lakeworks.server.replica:create_replica_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        access_log=access_log,
        log_level="warning",
    )
