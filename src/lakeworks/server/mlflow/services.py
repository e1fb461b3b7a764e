"""The services the MLflow routes call, and MLflow's default experiment.

MLflow's experiment ``0`` is the workspace's experiment named ``Default``: the client
uses ``0`` when no experiment was set, so it is created on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from lakeworks.context import Context
from lakeworks.errors import NotFoundError

if TYPE_CHECKING:
    from lakeworks.tracking.service import Tracking

DEFAULT_ID = "0"
DEFAULT_NAME = "Default"


def get_tracking(request: Request) -> Any:
    return request.app.state.platform.tracking


def get_registry(request: Request) -> Any:
    return request.app.state.platform.registry


TrackingDep = Annotated["Tracking", Depends(get_tracking)]
RegistryDep = Annotated[Any, Depends(get_registry)]


def experiment_id(ctx: Context, tracking: Tracking, given: str) -> int | str:
    """The lakeworks id of MLflow's experiment id ``given`` (``0``: the default one)."""
    if given != DEFAULT_ID:
        return given
    try:
        return tracking.get_experiment_by_name(ctx, DEFAULT_NAME).id
    except NotFoundError:
        return tracking.create_experiment(ctx, DEFAULT_NAME, exist_ok=True).id
