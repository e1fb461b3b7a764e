"""``/w/<ws>/models``: registered models, and a model's versions, aliases (moved by a form
that calls ``PUT .../aliases/<alias>``, the REST door every client uses), the alias
history, and a version's model card with its fairness and explanation charts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.ui.pages.admin import security_enabled
from lakeworks.ui.render import page

router = APIRouter()


@router.get("/w/{ws}/models")
def model_list(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    return page(request, "models/list.html", ctx, section="models", title="Models",
                models=platform.registry.list_models(ctx))  # fmt: skip


@router.get("/w/{ws}/models/{name}")
def model_detail(
    name: str,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The model, and the reports of ``version`` (the latest by default)."""
    model = platform.registry.get_model(ctx, name)
    versions = platform.registry.list_versions(ctx, name)
    shown = platform.registry.get_version(ctx, name, version) if version else None
    shown = shown or (versions[0] if versions else None)
    reports = _reports(platform, ctx, name, shown.version) if shown else {}
    return page(request, "models/detail.html", ctx, section="models", title=name, model=model,
                versions=versions, shown=shown, reports=reports,
                events=platform.registry.alias_events(ctx, name)[-50:][::-1],
                charts=_charts(reports), security=security_enabled(platform))  # fmt: skip


def _reports(platform: Any, ctx: Any, name: str, version: int) -> dict[str, Any]:
    """kind -> the newest report of that kind for the version."""
    out: dict[str, Any] = {}
    for report in sorted(platform.registry.reports(ctx, name, version), key=lambda r: r.created_ms):
        out[report.kind] = report
    return out


def _charts(reports: dict[str, Any]) -> dict[str, Any]:
    """What the page's charts draw: selection rate and TPR per group, importance per feature."""
    charts: dict[str, Any] = {}
    fairness = reports.get("fairness")
    if fairness is not None:
        groups = fairness.body.get("groups", [])
        charts["fairness"] = {
            "groups": [g["group"] for g in groups],
            "selection_rate": [g["selection_rate"] for g in groups],
            "tpr": [g["tpr"] for g in groups],
        }
    explanation = reports.get("explanation")
    if explanation is not None:
        top = list(explanation.body.get("importance", {}).items())[:15]
        charts["explanation"] = {"features": [k for k, _ in top], "importance": [v for _, v in top]}
    return charts
