"""``/w/<ws>/admin``: members and roles, tokens, quotas, costs and the audit log, once the
platform has a security service; until then a page that says security is not enabled."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.ui.render import page

router = APIRouter()


def security_enabled(platform: Any) -> bool:
    """Whether this build's platform has a security service (``lakeworks.security``)."""
    return "security" in dir(type(platform))


@router.get("/w/{ws}/admin")
def admin(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    return page(request, "admin.html", ctx, section="admin", title="Admin",
                security=security_enabled(platform))  # fmt: skip
