"""Workspaces as the doors see them: created by administrators, listed to those with a
role in them (everyone in embedded mode and when the server runs without auth)."""

from __future__ import annotations

from lakeworks.context import Context
from lakeworks.meta.catalog import Catalog, WorkspaceInfo


class Workspaces:
    """Create, list and read workspaces through the policy."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def list(self, ctx: Context) -> list[WorkspaceInfo]:
        """The workspaces the caller may see: all for an administrator or an embedded
        caller, else those it holds a role in."""
        every = self.catalog.workspaces()
        principal = ctx.principal
        if principal is None or principal.admin:
            return every
        return [w for w in every if principal.role(w.name) is not None]

    def get(self, ctx: Context) -> WorkspaceInfo:
        """The context's workspace (NotFoundError if it was never created)."""
        return self.catalog.workspace(ctx.workspace)

    def create(
        self, ctx: Context, name: str, description: str | None = None, exist_ok: bool = False
    ) -> WorkspaceInfo:
        """Create workspace ``name`` (the context names it too: its permission is checked
        there); AlreadyExistsError when the name is taken, unless ``exist_ok``."""
        return self.catalog.create_workspace(name, ctx.user, description, exist_ok=exist_ok)
