"""/api/v1/workspaces: list, create and read workspaces."""

from __future__ import annotations

from fastapi import APIRouter

from lakeworks.server.dependencies import PlatformDep, User, WorkspaceName
from lakeworks.server.errors import responses
from lakeworks.server.schemas.workspaces import WorkspaceCreate, WorkspaceOut

router = APIRouter(prefix="/api/v1/workspaces", tags=["workspaces"])


@router.get("")
def list_workspaces(platform: PlatformDep) -> list[WorkspaceOut]:
    return [WorkspaceOut.model_validate(w) for w in platform.catalog.workspaces()]


@router.post("", status_code=201, responses=responses(409))
def create_workspace(
    body: WorkspaceCreate,
    platform: PlatformDep,
    user: User = "anonymous",
) -> WorkspaceOut:
    """Create a workspace; 409 when the name is taken."""
    return WorkspaceOut.model_validate(
        platform.catalog.create_workspace(body.name, user, body.description)
    )


@router.get("/{ws}", responses=responses(404))
def get_workspace(ws: WorkspaceName, platform: PlatformDep) -> WorkspaceOut:
    return WorkspaceOut.model_validate(platform.catalog.workspace(ws))
