"""``lakeworks runs show|delete|restore`` and ``lakeworks gc``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.experiments import when
from lakeworks.cli.session import console, workspace

app = typer.Typer(help="Show, delete and restore runs.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context, run_id: str) -> None:
    """A run's info, params, latest metrics, tags, inputs and artifacts."""
    with workspace(ctx) as ws:
        run = ws.runs.get(run_id)
        artifacts = ws.platform.tracking.list_artifacts(ws.ctx, run_id)
        inputs = ws.platform.tracking.list_inputs(ws.ctx, run_id)
    out = console()
    info = run.info
    out.print(f"[bold]run {info.id}[/] {info.name!r} in experiment {info.experiment_id}")
    out.print(f"status {info.status}, stage {info.lifecycle_stage}, by {info.user_id}")
    out.print(f"started {when(info.start_time)}, ended {when(info.end_time) or '-'}")
    if info.parent_run_id:
        out.print(f"parent run {info.parent_run_id}")
    table = Table("kind", "key", "value", "step")
    for key, value in sorted(run.params.items()):
        table.add_row("param", key, value, "")
    for key, m in sorted(run.metrics.items()):
        table.add_row("metric", key, f"{m.value:.6g}", str(m.step))
    for key, value in sorted(run.tags.items()):
        table.add_row("tag", key, value, "")
    for i in inputs:  # what the run read: table@version, training sets
        table.add_row("input", i.kind, i.name + ("" if i.version is None else f"@v{i.version}"), "")
    for a in artifacts:
        table.add_row("artifact", a.path + ("/" if a.is_dir else ""), str(a.size or ""), "")
    out.print(table)


@app.command("delete")
def delete(ctx: typer.Context, run_id: str) -> None:
    """Mark a run deleted (restorable until ``lakeworks gc``)."""
    with workspace(ctx) as ws:
        ws.runs.delete(run_id)
    console().print(f"deleted run {run_id} (lakeworks gc frees its data)")


@app.command("restore")
def restore(ctx: typer.Context, run_id: str) -> None:
    """Bring back a deleted run."""
    with workspace(ctx) as ws:
        ws.runs.restore(run_id)
    console().print(f"restored run {run_id}")


def gc(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only say what would be freed")
    ] = False,
) -> None:
    """Purge deleted runs and free the artifact objects nothing references any more."""
    with workspace(ctx) as ws:
        if dry_run:
            result = ws.platform.tracking.gc(ws.ctx, dry_run=True)
        else:  # recorded with the bytes freed (lakeworks retention runs)
            result = ws.platform.retention.gc(ws.ctx)
    verb = "would purge" if dry_run else "purged"
    free = "would free" if dry_run else "freed"
    console().print(
        f"{verb} {result.runs} deleted runs; {free} {result.objects} objects, {result.bytes} bytes"
    )
