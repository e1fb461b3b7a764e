"""``lakeworks pipelines register|list|show|run|backfill|runs|run-info|logs|cancel|resume|
pause|unpause`` and ``lakeworks scheduler``."""

from __future__ import annotations

import json
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, platform, workspace
from lakeworks.errors import InvalidInputError

if TYPE_CHECKING:
    from lakeworks.pipelines.records import RunInfo

app = typer.Typer(help="Pipelines: register, run, backfill and inspect DAGs.", no_args_is_help=True)


@app.command("register")
def register(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="a .py file or an importable module name")],
) -> None:
    """Register (or update) every pipeline the file defines; a bad DAG registers nothing."""
    with workspace(ctx, create=True) as ws:
        infos = ws.pipelines.register(path)
    for info in infos:
        tasks = len(info.summary.get("tasks", []))
        typer.echo(f"registered {info.name}: {tasks} tasks, schedule {info.schedule or 'none'}")


@app.command("list")
def list_pipelines(ctx: typer.Context) -> None:
    """The pipelines of the workspace."""
    with workspace(ctx) as ws:
        infos = ws.pipelines.list()
    out = Table("name", "schedule", "tasks", "paused", "source", title="pipelines")
    for info in infos:
        tasks = str(len(info.summary.get("tasks", [])))
        out.add_row(info.name, info.schedule or "", tasks, str(info.paused), info.source)
    console().print(out)


@app.command("show")
def show(ctx: typer.Context, name: str) -> None:
    """A pipeline's schedule, parameters and tasks."""
    with workspace(ctx) as ws:
        info = ws.pipelines.get(name)
    summary = info.summary
    typer.echo(f"{info.name}: schedule {info.schedule or 'none'}, catchup {info.catchup}, ")
    typer.echo(f"max_active_runs {info.max_active_runs}, paused {info.paused}, {info.source}")
    for param, spec in summary.get("params", {}).items():
        default = "required" if spec["required"] else f"default {json.dumps(spec['default'])}"
        typer.echo(f"param {param}: {spec['type']}, {default}")
    out = Table("task", "kind", "depends on", "retries", "timeout")
    for task in summary.get("tasks", []):
        timeout = "" if task.get("timeout") is None else f"{task['timeout']} s"
        deps = ", ".join(task["deps"])
        out.add_row(task["name"], task["kind"], deps, str(task["retries"]), timeout)
    console().print(out)


@app.command("run")
def run(
    ctx: typer.Context,
    name: str,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value, typed by the pipeline")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="--no-wait prints the run id as soon as it starts (to follow it with "
            "run-info or cancel it from another shell); the run still executes in this "
            "process, which exits when it ends",
        ),
    ] = True,
) -> None:
    """Run a pipeline now, here; exits 1 when the run fails."""
    with workspace(ctx) as ws:
        service = ws.platform.pipelines
        done = service.run(ws.ctx, name, text_params=_pairs(param or []), wait=wait)
        if not wait:
            typer.echo(f"started run {done.id} of {name} ({done.state})")
            done = ws.pipelines.wait(done.id, timeout=float("inf"))
    print_tasks(done)
    if done.state != "succeeded":
        typer.echo(f"error: run {done.id} of {name} {done.state}: {done.error or ''}", err=True)
        raise typer.Exit(1)
    typer.echo(f"run {done.id} of {name} succeeded")


def _pairs(pairs: list[str]) -> dict[str, str]:
    texts = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInputError(f"--param {pair!r} is not name=value")
        texts[key] = value
    return texts


@app.command("backfill")
def backfill(
    ctx: typer.Context,
    name: str,
    start: Annotated[str, typer.Option(help="first interval start, e.g. 2026-01-01")],
    end: Annotated[str, typer.Option(help="end (exclusive), e.g. 2026-02-01")],
    rerun_succeeded: Annotated[
        bool, typer.Option(help="run again intervals that already succeeded")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="run here, or queue")] = True,
) -> None:
    """Run every schedule interval in [start, end) that has not succeeded yet."""
    with workspace(ctx) as ws:
        done = ws.pipelines.backfill(name, start, end, rerun_succeeded=rerun_succeeded, wait=wait)
    states = ", ".join(f"{n} {s}" for s, n in sorted(done.states.items())) or "queued"
    typer.echo(
        f"backfill {done.backfill} of {name}: {done.intervals} intervals, {done.created} "
        f"created, {done.requeued} resumed, {done.already_succeeded} already succeeded; "
        f"{states}"
    )
    if any(s != "succeeded" for s in done.states):
        raise typer.Exit(1)


@app.command("runs")
def runs(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="only this pipeline")] = None,
    state: Annotated[str | None, typer.Option(help="queued, running, succeeded, ...")] = None,
    limit: Annotated[int, typer.Option(help="newest N runs")] = 20,
) -> None:
    """Runs, newest first."""
    with workspace(ctx) as ws:
        found = ws.platform.pipelines.runs(ws.ctx, name, state, limit)
    out = Table("id", "pipeline", "state", "trigger", "interval", "started", "finished")
    for r in found:
        interval = f"{r.interval_start:%Y-%m-%d %H:%M}" if r.interval_start else ""
        out.add_row(
            str(r.id), r.pipeline, r.state, r.trigger, interval, _when(r.started_at),
            _when(r.finished_at),
        )  # fmt: skip
    console().print(out)


def _when(moment) -> str:  # noqa: ANN001 - datetime | None
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else ""


@app.command("run-info")
def run_info(ctx: typer.Context, run_id: int) -> None:
    """A run and its tasks: state, attempts, duration, CPU seconds, peak memory."""
    with workspace(ctx) as ws:
        print_tasks(ws.pipelines.run_info(run_id))


def print_tasks(run: RunInfo) -> None:
    """The task table of a run (also what the quickstart prints)."""
    title = f"run {run.id} of {run.pipeline}: {run.state} ({run.trigger})"
    out = Table("task", "state", "attempts", "duration", "CPU s", "peak MB", "error", title=title)
    for t in run.tasks:
        out.add_row(
            t.task,
            t.state,
            str(t.attempts),
            "" if t.duration_s is None else f"{t.duration_s:.3f} s",
            "" if t.cpu_seconds is None else f"{t.cpu_seconds:.3f}",
            "" if t.peak_memory_bytes is None else f"{t.peak_memory_bytes / 1e6:.1f}",
            (t.error or "").splitlines()[0] if t.error else "",
        )
    console().print(out)


@app.command("logs")
def logs(ctx: typer.Context, run_id: int, task: str) -> None:
    """The captured output of a task (every attempt)."""
    with workspace(ctx) as ws:
        text = ws.pipelines.task_logs(run_id, task)
    typer.echo(text, nl=False)


@app.command("cancel")
def cancel(ctx: typer.Context, run_id: int) -> None:
    """Cancel a queued or running run."""
    with workspace(ctx) as ws:
        done = ws.pipelines.cancel(run_id)
    typer.echo(f"run {run_id}: {done.state}" + (" (cancel requested)" * done.cancel_requested))


@app.command("resume")
def resume(
    ctx: typer.Context,
    run_id: int,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="wait for the end")] = True,
) -> None:
    """Run a failed or cancelled run again, keeping its succeeded tasks."""
    with workspace(ctx) as ws:
        done = ws.pipelines.resume(run_id, wait=wait)
    if wait:
        print_tasks(done)
    typer.echo(f"run {run_id}: {done.state}")
    if wait and done.state != "succeeded":
        raise typer.Exit(1)


@app.command("pause")
def pause(ctx: typer.Context, name: str) -> None:
    """Stop creating scheduled and event runs of a pipeline."""
    with workspace(ctx) as ws:
        ws.pipelines.pause(name, True)
    typer.echo(f"paused {name}")


@app.command("unpause")
def unpause(ctx: typer.Context, name: str) -> None:
    """Schedule a paused pipeline again."""
    with workspace(ctx) as ws:
        ws.pipelines.pause(name, False)
    typer.echo(f"unpaused {name}")


def scheduler(
    ctx: typer.Context,
    tick_seconds: Annotated[float, typer.Option(help="pause between ticks")] = 1.0,
    max_parallel_runs: Annotated[int, typer.Option(help="runs executed at once")] = 16,
) -> None:
    """Schedule and run every workspace's pipelines until SIGINT or SIGTERM."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    with platform(ctx) as p:
        sched = p.pipelines.scheduler(
            tick_seconds=tick_seconds, max_parallel_runs=max_parallel_runs
        )
        sched.start()
        typer.echo(f"scheduler {p.pipelines.owner} started (Ctrl-C to stop)")
        while not stopping.wait(0.5):
            pass
        typer.echo("stopping: waiting for runs in flight")
        sched.stop(wait=True)
        totals = ", ".join(f"{k} {v}" for k, v in sorted(sched.totals.items()))
    typer.echo(f"scheduler stopped ({totals or 'nothing done'})")
