"""/api/v1/workspaces: list, create and read workspaces."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from lakeworks.server.dependencies import USER_HEADER, PlatformDep
from lakeworks.server.schemas import WorkspaceCreate, WorkspaceOut

router = APIRouter(prefix="/api/v1/workspaces", tags=["workspaces"])


@router.get("")
def list_workspaces(platform: PlatformDep) -> list[WorkspaceOut]:
    return [WorkspaceOut.of(w) for w in platform.catalog.workspaces()]


@router.post("", status_code=201)
def create_workspace(
    body: WorkspaceCreate,
    platform: PlatformDep,
    user: Annotated[str, Header(alias=USER_HEADER)] = "anonymous",
) -> WorkspaceOut:
    """Create a workspace; 409 when the name is taken."""
    return WorkspaceOut.of(platform.catalog.create_workspace(body.name, user, body.description))


@router.get("/{ws}")
def get_workspace(ws: str, platform: PlatformDep) -> WorkspaceOut:
    return WorkspaceOut.of(platform.catalog.workspace(ws))
