"""lakeworks: one platform for a data-science team, from raw files to served models.

Quick start::

    import lakeworks as lw

    ws = lw.connect()                      # ./.lakeworks/, workspace "default"
    ws.ingest("orders.csv", table="orders", keys=["order_id"])
    ws.sql("select status, count(*) from orders group by 1").to_pandas()
    ws.read("orders", version=0)           # time travel
    ws.history("orders")

Set LAKEWORKS_METADATA_URL (PostgreSQL) and LAKEWORKS_STORAGE_URL (s3://...) to share one
platform across a team; the code stays the same.
"""

from __future__ import annotations

from typing import Any

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import LakeworksError, NotFoundError
from lakeworks.platform import Platform
from lakeworks.sdk import Workspace

__version__ = "0.1.0"
__all__ = [
    "Context",
    "LakeworksError",
    "Platform",
    "Settings",
    "Workspace",
    "__version__",
    "connect",
]


def connect(
    workspace: str | None = None,
    *,
    user: str | None = None,
    settings: Settings | None = None,
    create: bool = True,
    **overrides: Any,
) -> Workspace:
    """Open the platform and return a workspace (created on first use when ``create``).

    Settings come from ``settings`` or ``Settings.load(**overrides)``: keyword overrides,
    then LAKEWORKS_* environment variables, then ./lakeworks.toml, then defaults.
    """
    settings = settings or Settings.load(**overrides)
    platform = Platform.open(settings)
    try:
        ctx = _caller(platform, workspace or settings.workspace, user or settings.user)
        try:
            platform.workspaces.get(ctx)
        except NotFoundError:
            if not create:
                raise
            platform.workspaces.create(ctx, ctx.workspace, exist_ok=True)
    except BaseException:
        platform.close()
        raise
    return Workspace(platform, ctx)


def _caller(platform: Platform, workspace: str, user: str | None) -> Context:
    """The person at the machine, or with the ``token`` setting the token's principal
    (checked and audited on every operation, as through the server)."""
    settings = platform.settings
    if settings.token is None:
        return Context.local(workspace, user)
    from lakeworks.security.authn import Authenticator

    authenticator = Authenticator(settings, platform.identities, platform.tokens)
    principal = authenticator.principal(f"Bearer {settings.token}")
    return Context(workspace, principal.name, principal, source="sdk")
