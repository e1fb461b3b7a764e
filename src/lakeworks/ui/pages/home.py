"""``/`` and ``/w/<ws>``: the workspace at a glance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.ui.pages.signin import visible
from lakeworks.ui.pages.tables import listed
from lakeworks.ui.render import page

router = APIRouter()
RECENT = 10
DAY = timedelta(days=1)


@router.get("/")
def root(platform: PlatformDep, request: Request) -> Response:
    """The default workspace's home (or the first one's the caller may see); an empty
    catalog says how to start. With authentication on, no credential: the sign-in page."""
    names = visible(request, [w.name for w in platform.catalog.workspaces()])
    if not names:
        return RedirectResponse("/w/default", status_code=307)
    return RedirectResponse(f"/w/{'default' if 'default' in names else names[0]}", 307)


@router.get("/w/{ws}")
def home(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    tables = listed(platform.tables.list(ctx))
    since = datetime.now(UTC) - DAY
    runs = [r for r in platform.pipelines.runs(ctx, limit=50) if r.created_at >= since]
    return page(
        request,
        "home.html",
        ctx,
        section="home",
        title="Home",
        table_count=len(tables),
        tables=sorted(tables, key=lambda t: t.created_at, reverse=True)[:RECENT],
        loads=list(reversed(platform.catalog.loads(ctx.workspace, limit=RECENT))),
        failures=platform.quality.failures(ctx, RECENT),
        runs=runs,
        endpoints=platform.serving.list(ctx),
    )
