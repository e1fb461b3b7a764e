"""``/w/<ws>/admin``: a workspace's members and roles, tokens, quotas with current use,
costs of the last 30 days by user and pipeline, and the audit log with filters.

Every section is read through the platform's services with the caller's context, so the
guard checks each read again; a section whose permission the caller lacks (tokens and
the audit log are for owners) says so instead of being read, so viewing the page audits
no denials. Revoking a token calls ``DELETE /api/v1/workspaces/<ws>/tokens/<id>`` from
the browser (``static/pages/admin.js``).

Quotas and costs are fragments the page loads once it shows (htmx, like the endpoint
page's drift): costs add up 30 days of metered usage and quotas measure current use, so
the page's own answer holds only members, tokens and the audit log. Quotas show the
figures quota checks use (cached for ``quota_cache_seconds``) with their age.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.platform import Platform
from lakeworks.security import policy
from lakeworks.security.guard import Guard
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.ui.render import page, templates

router = APIRouter()
AUDIT_SHOWN = 200
COST_SPAN = "30d"
Since = Annotated[str | None, Query(max_length=64, description="records at or after (ISO 8601)")]
Filter = Annotated[str | None, Query(max_length=256)]


@dataclass(frozen=True)
class AuditFilter:
    user: str | None
    action: str | None
    since: datetime | None


def since_time(text: str | None) -> datetime | None:
    """The audit filter's ``since`` (ISO 8601; a time without a zone is UTC; empty: none).

    Example:
        >>> since_time("2026-12-04T10:00")
        datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.timezone.utc)
    """
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"audit filter since: expected an ISO 8601 time, found {text!r}",
            hint="e.g. 2026-12-04T10:00 (UTC)",
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def allowed(ctx: Context, operation: str) -> bool:
    """Whether the caller may run ``operation`` here (always, with authentication off)."""
    principal = ctx.principal
    return principal is None or Guard.allows(principal, ctx.workspace, policy.permission(operation))


def _sections(platform: Platform, ctx: Context, wanted: AuditFilter) -> dict[str, Any]:
    """Each section's data, or None where the caller lacks its permission."""
    readers: dict[str, tuple[str, Callable[[], Any]]] = {
        "members": ("identities.grants", lambda: platform.identities.grants(ctx)),
        "tokens": ("tokens.list", lambda: platform.tokens.list(ctx)),
        "quotas": ("quotas.show", lambda: True),  # a fragment: loaded after the page shows
        "costs": ("costs.of_workspace", lambda: True),
        "audit": (
            "audit.list",
            lambda: platform.audit.list(
                ctx,
                since=wanted.since,
                user=wanted.user or None,
                action=wanted.action or None,
                limit=AUDIT_SHOWN,
                newest=True,
            ),  # fmt: skip
        ),
    }
    return {name: read() if allowed(ctx, op) else None for name, (op, read) in readers.items()}


@router.get("/w/{ws}/admin")
def admin(
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    user: Filter = None,
    action: Filter = None,
    since: Since = None,
) -> HTMLResponse:
    wanted = AuditFilter(user, action, since_time(since))
    return page(request, "admin.html", ctx, section="admin", title="Admin", filters=wanted,
                span=COST_SPAN, shown=AUDIT_SHOWN, **_sections(platform, ctx, wanted))  # fmt: skip


@router.get("/w/{ws}/admin/quotas")
def admin_quotas(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    """The quotas section: each quota's limit and current use (with its age)."""
    quotas = platform.quotas.show(ctx) if allowed(ctx, "quotas.show") else None
    return templates.TemplateResponse(request, "admin/quotas.html", {"quotas": quotas})


@router.get("/w/{ws}/admin/costs")
def admin_costs(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    """The costs section: the last ``COST_SPAN`` by user and pipeline."""
    costs = None
    if allowed(ctx, "costs.of_workspace"):
        costs = platform.costs.of_workspace(ctx, "user,pipeline", since=COST_SPAN)
    return templates.TemplateResponse(request, "admin/costs.html", {"costs": costs})


def security_enabled(platform: Platform) -> bool:
    """Whether this server checks who its callers are (authentication on)."""
    return platform.settings.auth_required
