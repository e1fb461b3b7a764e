"""The services the MLflow routes call, and MLflow's default experiment.

MLflow's experiment ``0`` is the workspace's experiment named ``Default``: the client
uses ``0`` when no experiment was set, so it is created on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from lakeworks.context import Context
from lakeworks.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    from lakeworks.registry.service import Registry
    from lakeworks.tracking.logged_models import LoggedModels
    from lakeworks.tracking.service import Tracking

DEFAULT_ID = "0"
DEFAULT_NAME = "Default"


def get_tracking(request: Request) -> Any:
    return request.app.state.platform.tracking


def get_registry(request: Request) -> Any:
    return request.app.state.platform.registry


def get_logged_models(request: Request) -> Any:
    return request.app.state.platform.logged_models


def get_owners(request: Request) -> dict[str, Any]:
    """The service holding the artifacts of each owner kind of ``artifacts.Location``
    (logged models are built with tracking's artifact refs, so both are built here)."""
    platform = request.app.state.platform
    return {"run": platform.tracking, "model": platform.logged_models}


TrackingDep = Annotated["Tracking", Depends(get_tracking)]
OwnersDep = Annotated[dict[str, Any], Depends(get_owners)]
RegistryDep = Annotated["Registry", Depends(get_registry)]
LoggedModelsDep = Annotated["LoggedModels", Depends(get_logged_models)]


def experiment_id(ctx: Context, tracking: Tracking, given: str) -> int | str:
    """The lakeworks id of MLflow's experiment id ``given`` (``0``: the default one)."""
    if given != DEFAULT_ID:
        return given
    for _ in range(2):  # a concurrent first use may create it between the two calls
        try:
            return tracking.get_experiment_by_name(ctx, DEFAULT_NAME).id
        except NotFoundError:
            try:
                return tracking.create_experiment(ctx, DEFAULT_NAME).id
            except AlreadyExistsError:
                continue
    return tracking.get_experiment_by_name(ctx, DEFAULT_NAME).id
