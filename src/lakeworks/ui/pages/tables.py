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
from lakeworks.ui.render import page

router = APIRouter()
PREVIEW = 50
HISTORY = 50
RESULTS = 200
Version = Annotated[int | None, Query(ge=0, le=ID_MAX)]


@router.get("/w/{ws}/tables")
def table_list(
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    tables = listed(platform.tables.list(ctx))
    return page(request, "tables/list.html", ctx, section="tables", title="Tables",
                tables=sorted(tables, key=lambda t: t.name), q=q)  # fmt: skip


@router.get("/w/{ws}/tables/{name}")
def table_detail(
    name: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    version: Version = None,
) -> HTMLResponse:
    info = platform.tables.describe(ctx, name)
    shown = info.version if version is None else version
    preview = RowsOut.read(
        platform.tables.read(ctx, name, version=shown, limit=PREVIEW + 1), PREVIEW
    )
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
        preview=preview,
        profile={"rows": profile.rows, "columns": profile.columns},
        checks=platform.quality.checks(ctx, name),
        results=[_result(r) for r in platform.quality.results(ctx, name, limit=RESULTS)],
        quarantine=_quarantine(platform, ctx, name),
        neighbours=_neighbours(platform, ctx, name),
    )


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
