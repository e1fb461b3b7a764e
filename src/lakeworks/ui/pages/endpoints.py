"""``/w/<ws>/endpoints``: endpoints, and an endpoint's traffic split, the roll-out's
progress, its configuration history, promote and rollback (buttons calling the REST API);
requests per second, error rate and p50/p99 latency per slot over a chosen window
(``Serving.series``: uPlot charts with the configuration changes marked, drawn by
``static/pages/endpoint.js``), and drift per feature of each slot's requests against its
model's training reference (``Serving.drift``, a fragment loaded after the page shows).
The traffic part, the series and the drift refresh themselves (htmx polling)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.monitoring.methods import P_VALUE_METHODS
from lakeworks.platform import Platform
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.serving.endpoints import EndpointConfig
from lakeworks.ui.pages.experiments import ms
from lakeworks.ui.render import page, templates

router = APIRouter()
HISTORY = 50
# the windows offered, each with the step that gives it 60 to 96 points
WINDOWS = {"15m": "15s", "1h": "1m", "6h": "5m", "24h": "15m"}
Window = Annotated[str, Query(max_length=8, description=f"one of {', '.join(WINDOWS)}")]


@router.get("/w/{ws}/endpoints")
def endpoint_list(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    configs = platform.serving.list(ctx)
    return page(request, "endpoints/list.html", ctx, section="endpoints", title="Endpoints",
                endpoints=configs, split=split)  # fmt: skip


@router.get("/w/{ws}/endpoints/{name}")
def endpoint_detail(
    name: str, ctx: ContextDep, platform: PlatformDep, request: Request, window: Window = "1h"
) -> HTMLResponse:
    config = platform.serving.show(ctx, name)
    history = platform.serving.history(ctx, name)[-HISTORY:][::-1]
    return page(request, "endpoints/detail.html", ctx, section="endpoints", title=name,
                config=config, history=history, split=split, progress=progress(config),
                ms=ms, windows=WINDOWS, **_series(platform, ctx, name, window))  # fmt: skip


@router.get("/w/{ws}/endpoints/{name}/charts")
def endpoint_charts(
    name: str, ctx: ContextDep, platform: PlatformDep, request: Request, window: Window = "1h"
) -> HTMLResponse:
    """The series the charts draw and the changes of the window, swapped in by htmx."""
    values = {"ws": ctx.workspace, "ms": ms, **_series(platform, ctx, name, window)}
    return templates.TemplateResponse(request, "endpoints/charts.html", values)


@router.get("/w/{ws}/endpoints/{name}/drift")
def endpoint_drift(
    name: str, ctx: ContextDep, platform: PlatformDep, request: Request, window: Window = "1h"
) -> HTMLResponse:
    """Drift per feature of each slot's requests in the window (or why there is none)."""
    config = platform.serving.show(ctx, name)
    _step(window)
    reports = [_drift(platform, ctx, name, window, slot.name) for slot in config.slots]
    values = {"ws": ctx.workspace, "window": window, "reports": reports}
    return templates.TemplateResponse(request, "endpoints/drift.html", values)


def _step(window: str) -> str:
    step = WINDOWS.get(window)
    if step is None:
        raise InvalidInputError(
            f"the endpoint page shows a window of {', '.join(WINDOWS)}, not {window!r}",
            hint="pick one in the Window list",
            expected=", ".join(WINDOWS),
            found=window,
        )
    return step


def _series(platform: Platform, ctx: Context, name: str, window: str) -> dict[str, Any]:
    found = platform.serving.series(ctx, name, window, _step(window))
    return {"window": window, "series": found, "series_data": found.to_dict()}


def _drift(platform: Platform, ctx: Context, name: str, window: str, slot: str) -> dict[str, Any]:
    """One slot's drift report as the template shows it, or the reason it has none (no
    reference table, no logged request in the window)."""
    try:
        found = platform.serving.drift(ctx, name, window, slot=slot)
    except InvalidInputError as exc:
        return {"slot": slot, "missing": exc.message, "hint": exc.hint}
    columns = [c.to_dict() for c in found.report.columns]
    chart = {"names": [c["column"] for c in columns], "scores": [relative(c) for c in columns]}
    return {"slot": slot, "drift": found, "columns": columns, "chart": chart}


@router.get("/w/{ws}/endpoints/{name}/live")
def endpoint_live(
    name: str, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    """The traffic split and the roll-out's progress, swapped in by htmx every few seconds."""
    config = platform.serving.show(ctx, name)
    values = {"ws": ctx.workspace, "config": config, "split": split, "progress": progress(config)}
    return templates.TemplateResponse(request, "endpoints/live.html", values)


def relative(column: dict[str, Any]) -> float | None:
    """A column's drift score against its threshold, the same way up for every method, so
    one bar chart compares them: 1 at the threshold, above it drifted (a p-value test:
    log p / log threshold; a distance: distance / threshold). None when it has no score.

    Example:
        >>> relative({"method": "ks", "statistic": 0.0025, "threshold": 0.05})
        2.0
        >>> relative({"method": "wasserstein", "statistic": 0.05, "threshold": 0.1})
        0.5
    """
    score, threshold = column["statistic"], column["threshold"]
    if score is None:
        return None
    if column["method"] in P_VALUE_METHODS:
        if not 0 < threshold < 1:
            return None
        return round(math.log(max(score, 1e-300)) / math.log(threshold), 4)
    return round(score / threshold, 4) if threshold > 0 else None


def split(config: EndpointConfig) -> list[dict[str, Any]]:
    """Each slot with its percent of the answered traffic (a shadow gets copies: 0)."""
    candidate = config.candidate
    if candidate is None:
        return [{"slot": config.live, "share": 100}]
    share = 0 if config.strategy == "shadow" else config.share
    return [{"slot": config.live, "share": 100 - share}, {"slot": candidate, "share": share}]


def progress(config: EndpointConfig) -> list[dict[str, Any]]:
    """A canary's steps, each marked done, current or next; empty for other strategies."""
    if config.strategy != "canary" or config.candidate is None:
        return []
    return [{"share": s, "state": _step_state(s, config.share)} for s in config.steps]


def _step_state(step: int, share: int) -> str:
    if step < share:
        return "done"
    return "current" if step == share else "next"
