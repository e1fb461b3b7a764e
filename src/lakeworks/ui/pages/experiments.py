"""``/w/<ws>/experiments``: experiments, an experiment's run table (MLflow's filter
grammar, column choice, keyset pages), a run (metrics over steps, params, artifacts with
previews, live while it runs) and the comparison of runs (metric charts over steps,
parallel coordinates of params against a metric)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.errors import InvalidInputError
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.tracking.records import FINISHED_STATUSES, Run
from lakeworks.ui.previews import preview
from lakeworks.ui.render import page, templates, when

router = APIRouter()
PAGE = 100
DEFAULT_COLUMNS = 6
COMPARE_MAX = 50
Columns = Annotated[list[str] | None, Query(max_length=100)]
RunIds = Annotated[list[str] | None, Query(max_length=COMPARE_MAX)]


@router.get("/w/{ws}/experiments")
def experiment_list(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    found = platform.tracking.list_experiments(ctx)
    return page(request, "experiments/list.html", ctx, section="experiments",
                title="Experiments", experiments=found)  # fmt: skip


@router.get("/w/{ws}/experiments/{experiment_id}")
def experiment_runs(
    experiment_id: int,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    filter: Annotated[str | None, Query(max_length=10_000)] = None,
    order_by: Annotated[str | None, Query(max_length=300)] = None,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
    columns: Columns = None,
    size: Annotated[int, Query(ge=1, le=1000)] = PAGE,
) -> HTMLResponse:
    """The run table, ``size`` runs a page: a filter error (bad grammar, unknown key)
    shows next to the form."""
    experiment = platform.tracking.get_experiment(ctx, experiment_id)
    error, runs, token = None, [], None
    try:
        runs, token = platform.tracking.search_runs(
            ctx, [experiment.id], filter=filter or None,
            order_by=[order_by] if order_by else (), max_results=size, page_token=page_token,
        )  # fmt: skip
    except InvalidInputError as exc:
        error = str(exc)
    keys = _keys(runs)
    chosen = list(columns or []) or _default_columns(keys)
    return page(request, "experiments/runs.html", ctx, section="experiments",
                title=experiment.name, experiment=experiment, runs=runs, error=error,
                keys=keys, columns=chosen, filter=filter or "", order_by=order_by or "",
                page_token=page_token, next_token=token, cell=cell)  # fmt: skip


@router.get("/w/{ws}/runs/{run_id}")
def run_detail(
    run_id: str, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    run = platform.tracking.get_run(ctx, run_id)
    experiment = platform.tracking.get_experiment(ctx, run.info.experiment_id)
    return page(request, "experiments/run.html", ctx, section="experiments",
                title=run.info.name or run.id, run=run, experiment=experiment,
                artifacts=_artifact_tree(platform, ctx, run.id),
                histories=_histories(platform, ctx, [run]), live=_live(run))  # fmt: skip


@router.get("/w/{ws}/runs/{run_id}/live")
def run_live(run_id: str, ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    """The part of a run's page that changes while it runs: state and latest metrics,
    and every metric's points as JSON for the charts (swapped in by htmx)."""
    run = platform.tracking.get_run(ctx, run_id)
    values = {"ws": ctx.workspace, "run": run, "live": _live(run),
              "histories": _histories(platform, ctx, [run])}  # fmt: skip
    return templates.TemplateResponse(request, "experiments/run_live.html", values)


@router.get("/w/{ws}/runs/{run_id}/preview")
def artifact_preview(
    run_id: str,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    path: Annotated[str, Query(min_length=1, max_length=4096)],
) -> HTMLResponse:
    """An artifact's preview (image, text, table), as a fragment loaded when opened."""
    with platform.tracking.open_artifact(ctx, run_id, path) as stream:
        shown = preview(path, stream)
    return templates.TemplateResponse(request, "experiments/preview.html", {"shown": shown})


@router.get("/w/{ws}/experiments/{experiment_id}/compare")
def compare(
    experiment_id: int,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    runs: RunIds = None,
) -> HTMLResponse:
    """Metric charts over steps and parallel coordinates of the chosen runs."""
    experiment = platform.tracking.get_experiment(ctx, experiment_id)
    if not runs or len(runs) < 2:
        raise InvalidInputError("choose at least two runs to compare", found=len(runs or []))
    chosen = [platform.tracking.get_run(ctx, r) for r in dict.fromkeys(runs)]
    data = {
        "runs": [{"id": r.id, "name": r.info.name or r.id[:8], "params": r.params,
                  "metrics": r.metric_values} for r in chosen],
        "histories": _histories(platform, ctx, chosen),
    }  # fmt: skip
    return page(request, "experiments/compare.html", ctx, section="experiments",
                title=f"Compare {len(chosen)} runs", experiment=experiment, runs=chosen,
                keys=_keys(chosen), data=data)  # fmt: skip


def ms(value: int | None) -> str:
    """A time in milliseconds since the epoch (MLflow's unit) as ``when`` shows times."""
    return when(None if value is None else datetime.fromtimestamp(value / 1000, UTC))


def took(start: int | None, end: int | None) -> str:
    """``12.3 s`` between two times in milliseconds, or an em dash."""
    return "—" if start is None or end is None else f"{(end - start) / 1000:.1f} s"


templates.env.globals.update(ms=ms, took=took)


def cell(run: Run, column: str) -> str:
    """The value of ``metrics.x`` / ``params.x`` / ``tags.x`` in ``run``, as text."""
    kind, _, key = column.partition(".")
    if kind == "metrics":
        metric = run.metrics.get(key)
        return "" if metric is None else f"{metric.value:.6g}"
    return {"params": run.params, "tags": run.tags}.get(kind, {}).get(key, "")


def _keys(runs: list[Run]) -> dict[str, list[str]]:
    metrics = sorted({k for r in runs for k in r.metrics})
    params = sorted({k for r in runs for k in r.params})
    tags = sorted({k for r in runs for k in r.tags if not k.startswith("mlflow.")})
    return {"metrics": metrics, "params": params, "tags": tags}


def _default_columns(keys: dict[str, list[str]]) -> list[str]:
    metrics = [f"metrics.{k}" for k in keys["metrics"]][:DEFAULT_COLUMNS]
    return metrics + [f"params.{k}" for k in keys["params"]][:DEFAULT_COLUMNS]


def _histories(platform: Any, ctx: Any, runs: list[Run]) -> dict[str, dict[str, Any]]:
    """metric -> run id -> [[steps], [values]] (NaN and infinities as null)."""
    return platform.tracking.metric_series(ctx, [r.id for r in runs])


def _artifact_tree(platform: Any, ctx: Any, run_id: str, path: str | None = None) -> list:
    """Every artifact file of the run (folders walked), as ArtifactInfo, up to 500."""
    found, folders = [], [path]
    while folders and len(found) < 500:
        for item in platform.tracking.list_artifacts(ctx, run_id, folders.pop()):
            if item.is_dir:
                folders.append(item.path)
            else:
                found.append(item)
    return sorted(found, key=lambda a: a.path)


def _live(run: Run) -> bool:
    return run.info.status not in FINISHED_STATUSES
