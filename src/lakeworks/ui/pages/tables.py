"""``/w/<ws>/tables`` and ``/w/<ws>/tables/<name>``: list, schema, history, preview,
profile, quality results, quarantine and lineage of a table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.context import Context
from lakeworks.lake.quarantine import quarantine_table
from lakeworks.meta.catalog import TableEntry
from lakeworks.platform import Platform
from lakeworks.server.dependencies import ID_MAX, ContextDep, PlatformDep, TableName
from lakeworks.server.schemas.rows import RowsOut
from lakeworks.ui.render import page, templates

router = APIRouter()
PREVIEW = 50
LIST_PAGE = 100
HISTORY = 50
RESULTS = 200
Version = Annotated[int | None, Query(ge=0, le=ID_MAX)]


@router.get("/w/{ws}/tables")
def table_list(
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=ID_MAX)] = 1,
) -> HTMLResponse:
    """``q`` keeps the tables whose name or description contains it; ``LIST_PAGE`` a page."""
    wanted = q.strip().lower()
    tables = sorted(
        (t for t in listed(platform.tables.list(ctx)) if wanted in _searched(t)),
        key=lambda t: t.name,
    )
    first = (page_number - 1) * LIST_PAGE
    return page(request, "tables/list.html", ctx, section="tables", title="Tables",
                tables=tables[first : first + LIST_PAGE], total=len(tables), q=q,
                page_number=page_number, first=first, last=min(first + LIST_PAGE, len(tables)),
                more=first + LIST_PAGE < len(tables))  # fmt: skip


@router.get("/w/{ws}/tables/{name}")
def table_detail(
    name: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    version: Version = None,
) -> HTMLResponse:
    """The table; its preview and quarantine arrive as fragments once the page shows."""
    info = platform.tables.describe(ctx, name)
    shown = info.version if version is None else version
    profile = platform.quality.profile(ctx, name, shown)
    return page(
        request,
        "tables/detail.html",
        ctx,
        section="tables",
        title=name,
        info=info,
        shown=shown,
        history=platform.tables.history(ctx, name, HISTORY),
        profile={"rows": profile.rows, "columns": profile.columns},
        checks=platform.quality.checks(ctx, name),
        results=[_result(r) for r in platform.quality.results(ctx, name, limit=RESULTS)],
        neighbours=_neighbours(platform, ctx, name),
    )


@router.get("/w/{ws}/tables/{name}/preview")
def table_preview(
    name: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    version: Version = None,
) -> HTMLResponse:
    """The first rows of a version, as a fragment of the table's page."""
    rows = RowsOut.read(
        platform.tables.read(ctx, name, version=version, limit=PREVIEW + 1), PREVIEW
    )
    return templates.TemplateResponse(request, "rows.html", {"rows": rows})


@router.get("/w/{ws}/tables/{name}/quarantine")
def table_quarantine(
    name: TableName, ctx: ContextDep, platform: PlatformDep, request: Request
) -> HTMLResponse:
    """The rows the checks held back, with the reload action, as a fragment."""
    values = {"name": name, "quarantine": _quarantine(platform, ctx, name)}
    return templates.TemplateResponse(request, "tables/quarantine.html", values)


def _searched(table: TableEntry) -> str:
    return f"{table.name} {table.description or ''}".lower()


def listed(entries: list[TableEntry]) -> list[TableEntry]:
    """The tables a user made: not the quarantine beside each (shown on the table's page)."""
    held = {quarantine_table(t.name) for t in entries}
    return [t for t in entries if t.kind == "table" and t.name not in held]


def _result(r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "version": r.version, "run_id": r.run_id, "check": r.check,
        "status": r.status, "violating": r.violating, "total": r.total,
        "message": r.message, "sample": r.sample, "at": r.created_at.isoformat(),
    }  # fmt: skip


def _quarantine(platform: Platform, ctx: Context, name: str) -> RowsOut | None:
    held = quarantine_table(name)
    if not platform.tables.exists(ctx, held):
        return None
    return RowsOut.read(platform.tables.read(ctx, held, limit=PREVIEW + 1), PREVIEW)


def _neighbours(platform: Platform, ctx: Context, name: str) -> dict[str, list[str]]:
    """The tables (and other sources) this one reads from and feeds, one step away."""
    graph = platform.lineage.graph(ctx, name, depth=1)
    return {
        "upstream": sorted({f"{e.source.kind}:{e.source.name}" for e in graph.upstream}),
        "downstream": sorted({f"{e.target.kind}:{e.target.name}" for e in graph.downstream}),
    }
