"""``/w/<ws>/endpoints``: endpoints, and an endpoint's traffic split, the roll-out's
progress, its configuration history, promote and rollback (buttons calling the REST API);
the traffic part refreshes itself (htmx). Request, error and latency series per slot and
drift per feature need the live metrics and the prediction log, which this build's
serving does not record: those sections say so."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.serving.endpoints import EndpointConfig
from lakeworks.ui.pages.experiments import ms
from lakeworks.ui.render import page, templates

router = APIRouter()
HISTORY = 50


@router.get("/w/{ws}/endpoints")
def endpoint_list(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    configs = platform.serving.list(ctx)
    return page(request, "endpoints/list.html", ctx, section="endpoints", title="Endpoints",
                endpoints=configs, split=split)  # fmt: skip


@router.get("/w/{ws}/endpoints/{name}")
def endpoint_detail(
    name: str, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    config = platform.serving.show(ctx, name)
    history = platform.serving.history(ctx, name)[-HISTORY:][::-1]
    return page(request, "endpoints/detail.html", ctx, section="endpoints", title=name,
                config=config, history=history, split=split, progress=progress(config),
                ms=ms)  # fmt: skip


@router.get("/w/{ws}/endpoints/{name}/live")
def endpoint_live(
    name: str, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    """The traffic split and the roll-out's progress, swapped in by htmx every few seconds."""
    config = platform.serving.show(ctx, name)
    values = {"ws": ctx.workspace, "config": config, "split": split, "progress": progress(config)}
    return templates.TemplateResponse(request, "endpoints/live.html", values)


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
