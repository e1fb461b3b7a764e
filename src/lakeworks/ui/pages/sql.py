"""``/w/<ws>/sql``: the editor. Queries run through the REST API (``POST /sql``) from the
page, so a query here and one from any client take the same path and checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.schemas.sql import SQL_MAX
from lakeworks.ui.pages.tables import listed
from lakeworks.ui.render import page

router = APIRouter()


@router.get("/w/{ws}/sql")
def sql_editor(
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    q: Annotated[str, Query(max_length=SQL_MAX)] = "",
    table: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    """``q`` fills the editor (a shared query); ``table`` starts one over that table."""
    names = sorted(t.name for t in listed(platform.tables.list(ctx)))
    query = q or (f"select * from {table} limit 100" if table in names else "")
    return page(request, "sql.html", ctx, section="sql", title="SQL", query=query,
                names=names)  # fmt: skip
