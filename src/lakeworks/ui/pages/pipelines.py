"""``/w/<ws>/pipelines``: the list, a pipeline (its DAG, runs, actions), a run (a Gantt
chart of its task attempts, logs, errors), live while it runs (htmx polls ``/live``)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakeworks.pipelines.records import RunInfo
from lakeworks.server.dependencies import ContextDep, PipelineName, PlatformDep, RecordId, TaskName
from lakeworks.ui.render import page, templates

router = APIRouter()
RUNS = 100
ENDED = {"succeeded", "failed", "cancelled"}


@router.get("/w/{ws}/pipelines")
def pipeline_list(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    pipelines = platform.pipelines.list(ctx)
    last = {
        p.name: next(iter(platform.pipelines.runs(ctx, p.name, limit=1)), None) for p in pipelines
    }
    return page(request, "pipelines/list.html", ctx, section="pipelines", title="Pipelines",
                pipelines=pipelines, last=last)  # fmt: skip


@router.get("/w/{ws}/pipelines/{name}")
def pipeline_detail(
    name: PipelineName, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    info = platform.pipelines.get(ctx, name)
    return page(request, "pipelines/detail.html", ctx, section="pipelines", title=name,
                info=info, runs=platform.pipelines.runs(ctx, name, limit=RUNS))  # fmt: skip


@router.get("/w/{ws}/pipeline-runs/{run_id}")
def run_detail(
    run_id: RecordId, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    run = platform.pipelines.run_info(ctx, run_id)
    return page(request, "pipelines/run.html", ctx, section="pipelines", title=f"Run {run_id}",
                run=run, **_live(run))  # fmt: skip


@router.get("/w/{ws}/pipeline-runs/{run_id}/live")
def run_live(
    run_id: RecordId, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    """The part of the run page that changes while it runs (swapped in by htmx)."""
    run = platform.pipelines.run_info(ctx, run_id)
    values = {"ws": ctx.workspace, "run": run, **_live(run)}
    return templates.TemplateResponse(request, "pipelines/live.html", values)


@router.get("/w/{ws}/pipeline-runs/{run_id}/tasks/{task}/log")
def task_log(
    run_id: RecordId, task: TaskName, ctx: ContextDep, platform: PlatformDep
) -> HTMLResponse:
    """A task's captured output, as a fragment the run page loads when opened."""
    text = platform.pipelines.task_logs(ctx, run_id, task)
    return HTMLResponse(f"<pre>{escape(text) or '(no output)'}</pre>")


def _live(run: RunInfo) -> dict[str, Any]:
    """Whether the page keeps polling, and each task's bar on the Gantt chart (percent of
    the run's span, from the first task's start to the last end, or now while running)."""
    starts = [t.started_at for t in run.tasks if t.started_at]
    live = run.state not in ENDED
    if not starts:
        return {"live": live, "bars": {}}
    first = min(starts)
    ends = [t.finished_at or datetime.now(UTC) for t in run.tasks if t.started_at]
    span = max((max(ends) - first).total_seconds(), 1e-3)
    bars = {}
    for t in run.tasks:
        if t.started_at:
            end = t.finished_at or datetime.now(UTC)
            left = (t.started_at - first).total_seconds() / span * 100
            width = max((end - t.started_at).total_seconds() / span * 100, 0.3)
            bars[t.task] = (round(left, 2), round(min(width, 100 - left), 2))
    return {"live": live, "bars": bars, "span": span}
