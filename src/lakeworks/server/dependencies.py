"""What every route needs: the app's Platform and the caller's Context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from lakeworks.context import Context
from lakeworks.platform import Platform

USER_HEADER = "X-Lakeworks-User"


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


def get_context(
    platform: Annotated[Platform, Depends(get_platform)],
    ws: Annotated[str, Path(description="workspace name")],
    user: Annotated[str, Header(alias=USER_HEADER)] = "anonymous",
) -> Context:
    """The caller in workspace ``ws``; a workspace that does not exist is a 404."""
    platform.catalog.workspace(ws)
    return Context(workspace=ws, user=user)


PlatformDep = Annotated[Platform, Depends(get_platform)]
ContextDep = Annotated[Context, Depends(get_context)]
