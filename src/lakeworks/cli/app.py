"""``lakeworks``: the command-line entry point.

Example::

    lakeworks init --workspace analytics
    lakeworks -w analytics ingest orders.csv --table orders --keys order_id
    lakeworks -w analytics sql "select status, count(*) from orders group by 1"
    lakeworks server --port 8765
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakeworks.cli import (
    audit,
    db,
    endpoints,
    experiments,
    features,
    ingest,
    init,
    lineage,
    models,
    monitor,
    pii,
    pipelines,
    predictions,
    quality,
    quotas,
    retention,
    runs,
    secrets,
    serve,
    server,
    sql,
    streams,
    tables,
    tokens,
    users,
    workspaces,
)
from lakeworks.cli.session import ErrorReportingGroup, GlobalOptions, options

app = typer.Typer(
    name="lakeworks",
    cls=ErrorReportingGroup,
    no_args_is_help=True,
    help="lakeworks: versioned lakehouse tables, SQL and ingestion for a data-science team.",
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace", "-w", help="workspace to act in [default: LAKEWORKS_WORKSPACE]"
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="folder for embedded state [default: ./.lakeworks]"),
    ] = None,
) -> None:
    ctx.obj = GlobalOptions(workspace=workspace, home=home)


app.add_typer(tables.app, name="tables")
app.add_typer(features.app, name="features")
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(quality.app, name="quality")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(models.app, name="models")
app.add_typer(monitor.app, name="monitor")
app.add_typer(endpoints.app, name="endpoints")
for command in (predictions.feedback, predictions.model_metrics, predictions.ab, predictions.trace):
    endpoints.app.command(command.__name__.replace("_", "-"))(command)
monitor.app.command("drift")(predictions.drift)
app.add_typer(db.app, name="db")
app.add_typer(secrets.app, name="secrets")
app.add_typer(pii.app, name="pii", no_args_is_help=True)
app.add_typer(retention.app, name="retention")
app.add_typer(quotas.app, name="quotas")
app.command("costs")(quotas.costs)
app.add_typer(tokens.app, name="tokens")
app.add_typer(users.app, name="users")
app.add_typer(users.members, name="members")
app.add_typer(audit.app, name="audit")
app.add_typer(experiments.app, name="experiments")
app.add_typer(runs.app, name="runs")
app.command("gc")(runs.gc)
app.add_typer(streams.app, name="streams")
app.add_typer(streams.app, name="stream", hidden=True)  # `lakeworks stream ingest ...`
app.add_typer(lineage.app, name="lineage")
app.command("sql")(sql.sql)
app.command("ingest")(ingest.ingest)
app.command("server")(server.server)
app.command("serve")(serve.serve)
app.command("scheduler")(pipelines.scheduler)
app.command("init")(init.init)


@app.command("quickstart")
def quickstart(
    ctx: typer.Context,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop before serving")] = False,
    host: Annotated[str | None, typer.Option(help="address to serve on")] = None,
    port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
) -> None:
    """Ingest a small real data set, query it, travel in time, then serve the API."""
    from lakeworks.quickstart.run import main as run_quickstart

    home = options(ctx).home
    run_quickstart(serve=not no_serve, home=str(home) if home else None, host=host, port=port)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
