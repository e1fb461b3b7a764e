"""/api/2.0/mlflow/runs/...: create, read, update, delete, restore, search, and log to runs.

Every write goes through the tracking service's batch path, so the points a client sends
twice (its retries after a lost answer) are stored once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from lakeworks.server.mlflow import pages, shapes
from lakeworks.server.mlflow.errors import MlflowRoute, invalid
from lakeworks.server.mlflow.messages import (
    CallerDep,
    Double,
    Int64,
    KeyValue,
    Message,
    message,
)
from lakeworks.server.mlflow.services import TrackingDep, experiment_id
from lakeworks.tracking.records import Metric, RunInput

router = APIRouter(route_class=MlflowRoute, tags=["mlflow runs"])
VIEWS = {"ACTIVE_ONLY": "active", "DELETED_ONLY": "deleted", "ALL": "all"}
PARENT_TAG = "mlflow.parentRunId"


class CreateRun(Message):
    experiment_id: str = "0"
    user_id: str | None = None
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class RunId(Message):
    run_id: str


class UpdateRun(Message):
    run_id: str
    status: str | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class SearchRuns(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    run_view_type: str = "ACTIVE_ONLY"
    max_results: int = Field(1000, ge=1, le=50_000)
    order_by: list[str] = []
    page_token: str | None = None


class MetricIn(Message):
    key: str
    value: Double
    timestamp: Int64 | None = None
    step: Int64 = 0

    def record(self) -> Metric:
        return Metric(self.key, self.value, self.step, self.timestamp)


class LogMetric(MetricIn):
    run_id: str


class LogParam(KeyValue):
    run_id: str


class SetTag(KeyValue):
    run_id: str


class DeleteTag(Message):
    run_id: str
    key: str


class LogBatch(Message):
    run_id: str
    metrics: list[MetricIn] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class Dataset(Message):
    name: str
    digest: str = ""
    source_type: str = ""
    source: str = ""
    schema_: str = Field("", alias="schema")
    profile: str = ""


class DatasetInput(Message):
    dataset: Dataset
    tags: list[KeyValue] = []

    def record(self) -> RunInput:
        detail = self.dataset.model_dump(exclude={"name"}, by_alias=True)
        detail["tags"] = {t.key: t.value for t in self.tags}
        return RunInput(kind=shapes.DATASET, name=self.dataset.name, detail=detail)


class LogInputs(Message):
    run_id: str
    datasets: list[DatasetInput] = []
    models: list[dict[str, Any]] = []


class LogModel(Message):
    run_id: str
    model_json: str = ""


@router.post("/runs/create")
def create(ctx: CallerDep, tracking: TrackingDep, body=message(CreateRun)) -> Any:
    tags = {t.key: t.value for t in body.tags}
    created = tracking.create_run(
        # the client names its user, trusted only without authentication
        ctx if ctx.principal else replace(ctx, user=body.user_id or ctx.user),
        experiment_id(ctx, tracking, body.experiment_id),
        name=body.run_name or None,
        start_time=body.start_time,
        tags=tags,
        parent_run_id=tags.get(PARENT_TAG),
    )
    return {"run": shapes.run(created)}


@router.get("/runs/get")
def get(ctx: CallerDep, tracking: TrackingDep, body=message(RunId)) -> Any:
    found = tracking.get_run(ctx, body.run_id)
    return {"run": shapes.run(found, tracking.list_inputs(ctx, body.run_id))}


@router.post("/runs/update")
def update(ctx: CallerDep, tracking: TrackingDep, body=message(UpdateRun)) -> Any:
    updated = tracking.update_run(
        ctx, body.run_id, status=body.status, end_time=body.end_time, name=body.run_name or None
    )
    return {"run_info": shapes.run_info(updated.info)}


@router.post("/runs/delete")
def delete(ctx: CallerDep, tracking: TrackingDep, body=message(RunId)) -> Any:
    tracking.delete_run(ctx, body.run_id)
    return {}


@router.post("/runs/restore")
def restore(ctx: CallerDep, tracking: TrackingDep, body=message(RunId)) -> Any:
    tracking.restore_run(ctx, body.run_id)
    return {}


@router.post("/runs/search")
def search(ctx: CallerDep, tracking: TrackingDep, body=message(SearchRuns)) -> Any:
    if body.run_view_type not in VIEWS:
        raise invalid(f"run_view_type must be one of {sorted(VIEWS)}, found {body.run_view_type!r}")
    found, token = tracking.search_runs(
        ctx,
        [experiment_id(ctx, tracking, e) for e in body.experiment_ids],
        filter=body.filter or None,
        order_by=body.order_by,
        max_results=body.max_results,
        page_token=body.page_token or None,
        run_view=VIEWS[body.run_view_type],
    )
    return pages.answer("runs", [shapes.run(r) for r in found], token)


@router.post("/runs/log-metric")
def log_metric(ctx: CallerDep, tracking: TrackingDep, body=message(LogMetric)) -> Any:
    tracking.log_batch(ctx, body.run_id, metrics=[body.record()])
    return {}


@router.post("/runs/log-parameter")
def log_param(ctx: CallerDep, tracking: TrackingDep, body=message(LogParam)) -> Any:
    tracking.log_batch(ctx, body.run_id, params={body.key: body.value})
    return {}


@router.post("/runs/set-tag")
def set_tag(ctx: CallerDep, tracking: TrackingDep, body=message(SetTag)) -> Any:
    tracking.log_batch(ctx, body.run_id, tags={body.key: body.value})
    return {}


@router.post("/runs/delete-tag")
def delete_tag(ctx: CallerDep, tracking: TrackingDep, body=message(DeleteTag)) -> Any:
    tracking.delete_tag(ctx, body.run_id, body.key)
    return {}


@router.post("/runs/log-batch")
def log_batch(ctx: CallerDep, tracking: TrackingDep, body=message(LogBatch)) -> Any:
    tracking.log_batch(
        ctx,
        body.run_id,
        metrics=[m.record() for m in body.metrics],
        params=[(p.key, p.value) for p in body.params],
        tags=[(t.key, t.value) for t in body.tags],
    )
    return {}


@router.post("/runs/log-inputs")
def log_inputs(ctx: CallerDep, tracking: TrackingDep, body=message(LogInputs)) -> Any:
    """Datasets are recorded as the run's inputs (kind ``mlflow_dataset``, the dataset's
    digest, source and schema as detail); model inputs are MLflow 3 bookkeeping, accepted."""
    if not body.datasets:
        tracking.get_run_info(ctx, body.run_id)  # a missing run is an error all the same
    for given in body.datasets:
        tracking.log_input(ctx, body.run_id, given.record())
    return {}


@router.post("/runs/outputs")
def log_outputs(ctx: CallerDep, tracking: TrackingDep, body=message(RunId)) -> Any:
    """Accepted: a logged model already names its source run (see logged_models.py)."""
    tracking.get_run_info(ctx, body.run_id)
    return {}


@router.post("/runs/log-model")
def log_model(ctx: CallerDep, tracking: TrackingDep, body=message(LogModel)) -> Any:
    """MLflow 2's model history record: accepted; MLflow 3 clients log models as logged
    models (logged_models.py), which is where lakeworks keeps them."""
    tracking.get_run_info(ctx, body.run_id)
    return {}
