"""/api/v1/workspaces: list, create and read workspaces."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter

from lakeworks.server.dependencies import CallerDep, ContextDep, PlatformDep
from lakeworks.server.errors import responses
from lakeworks.server.schemas.workspaces import WorkspaceCreate, WorkspaceOut

router = APIRouter(prefix="/api/v1/workspaces", tags=["workspaces"])


@router.get("", responses=responses(401))
def list_workspaces(caller: CallerDep, platform: PlatformDep) -> list[WorkspaceOut]:
    """The workspaces the caller holds a role in (all of them for an administrator)."""
    return [WorkspaceOut.model_validate(w) for w in platform.workspaces.list(caller)]


@router.post("", status_code=201, responses=responses(401, 403, 409))
def create_workspace(
    body: WorkspaceCreate, caller: CallerDep, platform: PlatformDep
) -> WorkspaceOut:
    """Create a workspace (administrators, when auth is on); 409 when the name is taken."""
    ctx = replace(caller, workspace=body.name)
    return WorkspaceOut.model_validate(platform.workspaces.create(ctx, body.name, body.description))


@router.get("/{ws}", responses=responses(404))
def get_workspace(ctx: ContextDep, platform: PlatformDep) -> WorkspaceOut:
    return WorkspaceOut.model_validate(platform.workspaces.get(ctx))
