"""/api/2.0/mlflow/experiments/...: create, read, search, rename, delete, restore, tag.

MLflow's experiment ``0`` (named ``Default``) is the workspace's experiment ``Default``,
created on first use, so a client that never calls ``set_experiment`` logs somewhere real.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from lakeworks.server.mlflow import pages, shapes
from lakeworks.server.mlflow.errors import MlflowRoute, invalid
from lakeworks.server.mlflow.messages import CallerDep, KeyValue, Message, message
from lakeworks.server.mlflow.services import TrackingDep, experiment_id

router = APIRouter(route_class=MlflowRoute, tags=["mlflow experiments"])
VIEWS = {"ACTIVE_ONLY": "active", "DELETED_ONLY": "deleted", "ALL": "all"}


class CreateExperiment(Message):
    name: str
    artifact_location: str | None = None
    tags: list[KeyValue] = []


class ExperimentId(Message):
    experiment_id: str


class ExperimentName(Message):
    experiment_name: str


class SearchExperiments(Message):
    max_results: int = Field(1000, ge=1, le=50_000)
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: str = "ACTIVE_ONLY"


class UpdateExperiment(Message):
    experiment_id: str
    new_name: str


class ExperimentTag(Message):
    experiment_id: str
    key: str
    value: str = ""


@router.post("/experiments/create")
def create(ctx: CallerDep, tracking: TrackingDep, body=message(CreateExperiment)) -> Any:
    location = body.artifact_location
    if location and not location.startswith(shapes.ARTIFACTS_SCHEME):
        raise invalid(
            f"experiment {body.name!r}: artifact_location {location!r} is not supported; "
            "lakeworks stores every artifact in the workspace's storage (leave it unset)"
        )
    tags = {t.key: t.value for t in body.tags}
    created = tracking.create_experiment(ctx, body.name, tags=tags)
    return {"experiment_id": str(created.id)}


@router.get("/experiments/get")
def get(ctx: CallerDep, tracking: TrackingDep, body=message(ExperimentId)) -> Any:
    found = tracking.get_experiment(ctx, experiment_id(ctx, tracking, body.experiment_id))
    return {"experiment": shapes.experiment(found)}


@router.get("/experiments/get-by-name")
def get_by_name(ctx: CallerDep, tracking: TrackingDep, body=message(ExperimentName)) -> Any:
    found = tracking.get_experiment_by_name(ctx, body.experiment_name)
    return {"experiment": shapes.experiment(found)}


@router.post("/experiments/search")
def search(ctx: CallerDep, tracking: TrackingDep, body=message(SearchExperiments)) -> Any:
    if body.view_type not in VIEWS:
        raise invalid(f"view_type must be one of {sorted(VIEWS)}, found {body.view_type!r}")
    if body.filter or body.order_by:
        raise invalid(
            "searching experiments with a filter or an order is not supported; "
            "get one by name (experiments/get-by-name) or list them all"
        )
    view = VIEWS[body.view_type]
    listed = tracking.list_experiments(ctx, include_deleted=view != "active")
    chosen = [e for e in listed if view != "deleted" or e.lifecycle_stage == "deleted"]
    start = pages.start(body.page_token)
    end = start + body.max_results
    token = pages.token(end) if end < len(chosen) else None
    return pages.answer("experiments", [shapes.experiment(e) for e in chosen[start:end]], token)


@router.post("/experiments/update")
def update(ctx: CallerDep, tracking: TrackingDep, body=message(UpdateExperiment)) -> Any:
    tracking.rename_experiment(ctx, experiment_id(ctx, tracking, body.experiment_id), body.new_name)
    return {}


@router.post("/experiments/delete")
def delete(ctx: CallerDep, tracking: TrackingDep, body=message(ExperimentId)) -> Any:
    tracking.delete_experiment(ctx, experiment_id(ctx, tracking, body.experiment_id))
    return {}


@router.post("/experiments/restore")
def restore(ctx: CallerDep, tracking: TrackingDep, body=message(ExperimentId)) -> Any:
    tracking.restore_experiment(ctx, experiment_id(ctx, tracking, body.experiment_id))
    return {}


@router.post("/experiments/set-experiment-tag")
def set_tag(ctx: CallerDep, tracking: TrackingDep, body=message(ExperimentTag)) -> Any:
    ident = experiment_id(ctx, tracking, body.experiment_id)
    tracking.set_experiment_tag(ctx, ident, body.key, body.value)
    return {}
