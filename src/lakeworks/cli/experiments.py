"""``lakeworks experiments list|create|runs|compare|best``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Column, Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import NotFoundError
from lakeworks.tracking.records import Run

app = typer.Typer(help="Experiments and their runs.", no_args_is_help=True)


@app.command("list")
def list_experiments(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="include deleted experiments")] = False,
) -> None:
    """The experiments of the workspace."""
    with workspace(ctx) as ws:
        found = ws.platform.tracking.list_experiments(ws.ctx, include_deleted=all_)
    out = Table("id", "name", "stage", "created", "by", title="experiments")
    for e in found:
        out.add_row(str(e.id), e.name, e.lifecycle_stage, when(e.created_at), e.created_by)
    console().print(out)


@app.command("create")
def create(ctx: typer.Context, name: str) -> None:
    """Create an experiment."""
    with workspace(ctx, create=True) as ws:
        exp = ws.platform.tracking.create_experiment(ws.ctx, name)
    console().print(f"created experiment {exp.name!r} (id {exp.id})")


@app.command("runs")
def runs(
    ctx: typer.Context,
    experiment: str,
    filter: Annotated[str | None, typer.Option("--filter", help="MLflow filter")] = None,
    order_by: Annotated[
        list[str] | None, typer.Option("--order-by", help="e.g. 'metrics.auc DESC'")
    ] = None,
    max_results: Annotated[int, typer.Option("--max-results", "-n")] = 100,
) -> None:
    """The runs of an experiment, newest first unless ordered."""
    with workspace(ctx) as ws:
        found = ws.runs.search(
            experiment, filter=filter, order_by=order_by, max_results=max_results
        )
    console().print(runs_table(found, title=f"runs of {experiment}"))


@app.command("compare")
def compare(ctx: typer.Context, run_ids: Annotated[list[str], typer.Argument()]) -> None:
    """Runs side by side: one column a run, one row a param, metric or tag."""
    with workspace(ctx) as ws:
        found = [ws.runs.get(r) for r in run_ids]
    out = Table("", *(r.info.name for r in found), title="comparison")
    out.add_row("run", *(r.id[:12] for r in found))
    out.add_row("status", *(r.info.status for r in found))
    for kind, values in (
        ("params", [r.params for r in found]),
        ("metrics", [r.metric_values for r in found]),
    ):
        for key in sorted({k for v in values for k in v}):
            out.add_row(f"{kind}.{key}", *(_cell(v.get(key)) for v in values))
    console().print(out)


@app.command("best")
def best(
    ctx: typer.Context,
    experiment: str,
    metric: Annotated[str, typer.Option("--metric", "-m", help="metric to rank by")],
    mode: Annotated[str, typer.Option(help="max or min")] = "max",
) -> None:
    """The run with the best latest value of a metric."""
    with workspace(ctx) as ws:
        exp = ws.platform.tracking.get_experiment_by_name(ws.ctx, experiment)
        run = ws.platform.tracking.best_run(ws.ctx, exp.id, metric, mode=mode)
    if run is None:
        raise NotFoundError(f"no run of experiment {experiment!r} has the metric {metric!r}")
    console().print(f"best run {run.id} ({run.info.name}): {metric} = {run.metrics[metric].value}")
    console().print(runs_table([run], title=None))


def runs_table(found: list[Run], title: str | None) -> Table:
    metrics = sorted({k for r in found for k in r.metrics})
    params = sorted({k for r in found for k in r.params})
    # the id is what a user copies into the next command: never squeezed by many columns
    run = Column("run", no_wrap=True, min_width=32)
    out = Table(run, "name", "status", "started", *metrics, *params, title=title)
    for r in found:
        out.add_row(
            r.id,
            r.info.name,
            r.info.status,
            when(r.info.start_time),
            *(_cell(r.metric_values.get(m)) for m in metrics),
            *(r.params.get(p, "") for p in params),
        )
    return out


def when(ms: int | None) -> str:
    return "" if ms is None else f"{datetime.fromtimestamp(ms / 1000, UTC):%Y-%m-%d %H:%M:%S}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
