"""Rendering: the Jinja environment, its filters, and ``page`` / ``error_page``.

Every page extends ``templates/base.html`` (header, section tabs, workspace switcher);
``page`` gives it what the header needs. Data a page's script reads goes into the page
as JSON (``{{ data | tojson }}`` in a ``<script type="application/json">``), never into
inline code: the UI's Content-Security-Policy allows scripts from this server only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lakeworks.context import Context
from lakeworks.ui.nav import SECTIONS

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# ``tojson`` without the spaces after separators: a big graph's embedded JSON is 10% smaller
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}


def when(value: datetime | None) -> str:
    """``2026-12-04 19:48:03`` in UTC, or an em dash for nothing."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def size(value: int | None) -> str:
    """Bytes for people: ``1.5 MB``."""
    if value is None:
        return "—"
    amount = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if amount < 1000 or unit == "TB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} TB"


def seconds(start: datetime | None, end: datetime | None) -> str:
    """A duration ``12.3 s`` between two times, or an em dash when either is missing."""
    if start is None or end is None:
        return "—"
    return f"{(end - start).total_seconds():.1f} s"


templates.env.filters.update(when=when, size=size)
templates.env.globals.update(seconds=seconds, sections=SECTIONS)


def page(
    request: Request,
    template: str,
    ctx: Context,
    *,
    section: str,
    title: str,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """``template`` rendered for the caller ``ctx``, with the header's workspace switcher."""
    context = {
        "ws": ctx.workspace,
        "user": ctx.user,
        "signed_in": ctx.principal is not None and ctx.principal.via != "open",
        "section": section,
        "title": title,
        "workspaces": visible_workspaces(request, ctx),
        **values,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def visible_workspaces(request: Request, ctx: Context) -> list[str]:
    """The workspace switcher's names: every workspace, or with authentication on, those
    the caller has a role in (administrators see all)."""
    names = [w.name for w in request.app.state.platform.catalog.workspaces()]
    principal = ctx.principal
    if principal is None or principal.admin:
        return names
    return [name for name in names if principal.role(name) is not None]


def error_page(
    request: Request, status_code: int, message: str, hint: str | None = None
) -> HTMLResponse:
    """The page for a failed navigation (404, 422, 500...): what happened and a way back."""
    ws = request.path_params.get("ws")
    context = {  # a forbidden workspace's sections are not offered as links
        "ws": ws if isinstance(ws, str) and status_code != 403 else None,
        "workspaces": [],
        "section": None,
        "title": f"{status_code}",
        "status": status_code,
        "message": message,
        "hint": hint,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status_code)
