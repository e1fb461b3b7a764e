"""/api/2.0/mlflow/metrics/get-history: every point of one metric of a run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lakeworks.server.mlflow import shapes
from lakeworks.server.mlflow.errors import MlflowRoute, invalid
from lakeworks.server.mlflow.messages import CallerDep, Message, message
from lakeworks.server.mlflow.services import TrackingDep

router = APIRouter(route_class=MlflowRoute, tags=["mlflow metrics"])


class GetMetricHistory(Message):
    run_id: str | None = None
    run_uuid: str | None = None  # MLflow 1's name of run_id, still sent
    metric_key: str
    max_results: int | None = None
    page_token: str | None = None


@router.get("/metrics/get-history")
def get_history(ctx: CallerDep, tracking: TrackingDep, body=message(GetMetricHistory)) -> Any:
    run_id = body.run_id or body.run_uuid
    if not run_id:
        raise invalid("metrics/get-history needs run_id, found none")
    points = tracking.get_metric_history(ctx, run_id, body.metric_key)
    return {"metrics": [shapes.metric(m) for m in points]}
