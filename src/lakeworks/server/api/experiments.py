"""/api/v1/workspaces/{ws}/experiments: list, create, get."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from lakeworks.server.dependencies import ID_MAX, ContextDep, PlatformDep
from lakeworks.server.errors import responses
from lakeworks.server.schemas.experiments import ExperimentCreate, ExperimentOut

router = APIRouter(prefix="/api/v1/workspaces/{ws}/experiments", tags=["tracking"])
ExperimentId = Annotated[int, Path(description="an experiment id", ge=1, le=ID_MAX)]


@router.get("")
def list_experiments(
    ctx: ContextDep, platform: PlatformDep, include_deleted: Annotated[bool, Query()] = False
) -> list[ExperimentOut]:
    found = platform.tracking.list_experiments(ctx, include_deleted=include_deleted)
    return [ExperimentOut.model_validate(e) for e in found]


@router.post("", status_code=201, responses=responses(409))
def create_experiment(
    body: ExperimentCreate, ctx: ContextDep, platform: PlatformDep
) -> ExperimentOut:
    """A new experiment; 409 when the name is taken (by an active or a deleted one)."""
    experiment = platform.tracking.create_experiment(
        ctx, body.name, artifact_location=body.artifact_location, tags=body.tags
    )
    return ExperimentOut.model_validate(experiment)


@router.get("/{experiment_id}")
def get_experiment(
    experiment_id: ExperimentId, ctx: ContextDep, platform: PlatformDep
) -> ExperimentOut:
    return ExperimentOut.model_validate(platform.tracking.get_experiment(ctx, experiment_id))
