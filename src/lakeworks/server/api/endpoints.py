"""/api/v1/workspaces/{ws}/endpoints (deploy, list, show, promote, rollback, delete, health,
metrics, series) and /serve/{workspace}/{endpoint}/predict (the prediction API)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from lakeworks.context import Context
from lakeworks.server.callers import Callers
from lakeworks.server.dependencies import (
    Bearer,
    ContextDep,
    PlatformDep,
    User,
    get_callers,
    name_rule,
    request_facts,
)
from lakeworks.server.errors import responses
from lakeworks.server.schemas.endpoints import (
    DeployRequest,
    EndpointMetricsOut,
    EndpointOut,
    EndpointSeriesOut,
    HealthRequest,
    PredictOut,
    PredictRequest,
    ScoreOut,
    ScoreRequest,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}/endpoints", tags=["endpoints"])
serve_router = APIRouter(prefix="/serve/{workspace}", tags=["serving"])
EndpointName = name_rule("endpoint", example="churn")
WorkspacePath = name_rule("workspace", example="default")
RequestId = Annotated[str | None, Header(alias="X-Request-Id", max_length=128)]


def _out(config) -> EndpointOut:  # noqa: ANN001 - a serving EndpointConfig
    return EndpointOut.model_validate(config.to_dict())


@router.get("")
def list_endpoints(ctx: ContextDep, platform: PlatformDep) -> list[EndpointOut]:
    return [_out(c) for c in platform.serving.list(ctx)]


@router.put("/{endpoint}", responses=responses(409))
def deploy(
    endpoint: EndpointName, body: DeployRequest, ctx: ContextDep, platform: PlatformDep
) -> EndpointOut:
    """Deploy a model version (warmed first; a model that fails to load is refused)."""
    options = {"steps": tuple(body.steps), "share": body.share, "health": body.health}
    options["every"] = body.every
    options["features"] = body.features
    return _out(platform.serving.deploy(ctx, endpoint, body.model, body.strategy, **options))


@router.get("/{endpoint}")
def show(endpoint: EndpointName, ctx: ContextDep, platform: PlatformDep) -> EndpointOut:
    return _out(platform.serving.show(ctx, endpoint))


@router.get("/{endpoint}/history")
def history(endpoint: EndpointName, ctx: ContextDep, platform: PlatformDep) -> list[EndpointOut]:
    return [_out(c) for c in platform.serving.history(ctx, endpoint)]


@router.put("/{endpoint}/health", responses=responses(409))
def set_health(
    endpoint: EndpointName, body: HealthRequest, ctx: ContextDep, platform: PlatformDep
) -> EndpointOut:
    """Set (or clear, with null) the health policy: a new configuration version."""
    return _out(platform.serving.set_health(ctx, endpoint, body.health))


@router.get("/{endpoint}/metrics")
def metrics(
    endpoint: EndpointName,
    ctx: ContextDep,
    platform: PlatformDep,
    window: Annotated[str, Query(max_length=32, examples=["5m"])] = "60",
) -> EndpointMetricsOut:
    """Requests, errors and latency per slot over the window, from every process."""
    found = platform.serving.metrics(ctx, endpoint, _window(window))
    return EndpointMetricsOut.model_validate(found.to_dict())


@router.get("/{endpoint}/series", responses=responses(422))
def series(
    endpoint: EndpointName,
    ctx: ContextDep,
    platform: PlatformDep,
    window: Annotated[str, Query(max_length=32, examples=["1h"])] = "1h",
    step: Annotated[str, Query(max_length=32, examples=["1m"])] = "1m",
) -> EndpointSeriesOut:
    """Requests per second, error rate and p50/p99 latency per slot over the window in
    buckets of ``step`` (at most 1,440), and the configuration changes in it."""
    found = platform.serving.series(ctx, endpoint, _window(window), _window(step))
    return EndpointSeriesOut.model_validate(found.to_dict())


def _window(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


@router.post("/{endpoint}/promote", responses=responses(409))
def promote(endpoint: EndpointName, ctx: ContextDep, platform: PlatformDep) -> EndpointOut:
    return _out(platform.serving.promote(ctx, endpoint))


@router.post("/{endpoint}/rollback", responses=responses(409))
def rollback(endpoint: EndpointName, ctx: ContextDep, platform: PlatformDep) -> EndpointOut:
    return _out(platform.serving.rollback(ctx, endpoint))


@router.post("/{endpoint}/score", responses=responses(409))
def score(
    endpoint: EndpointName, body: ScoreRequest, ctx: ContextDep, platform: PlatformDep
) -> ScoreOut:
    """Score a table with the endpoint's live model into another table (one commit)."""
    options = {"version": body.version, "mode": body.mode}
    result = platform.serving.score(ctx, endpoint, body.table, body.into, **options)
    return ScoreOut(**result.__dict__)


@router.delete("/{endpoint}", status_code=204)
def delete(endpoint: EndpointName, ctx: ContextDep, platform: PlatformDep) -> None:
    platform.serving.delete(ctx, endpoint)


def _serve_context(
    callers: Annotated[Callers, Depends(get_callers)],
    workspace: WorkspacePath,
    request: Request,
    _bearer: Bearer,
    user: User = "anonymous",
) -> Context:
    return callers.context(workspace, user, **request_facts(request))


@serve_router.post("/{endpoint}/predict")
def predict(
    endpoint: EndpointName,
    body: PredictRequest,
    response: Response,
    ctx: Annotated[Context, Depends(_serve_context)],
    platform: PlatformDep,
    request_id: RequestId = None,
) -> PredictOut:
    """Predictions for the rows, or for entity keys (the endpoint's feature service read
    online). An Arrow IPC stream body (``Content-Type: application/vnd.apache.arrow.stream``)
    is taken too, and answered in Arrow when ``Accept`` asks (``server/predict_server.py``
    answers this route ahead of FastAPI). The response names the request id and the model
    version; rows the model failed on carry an error each, the others are answered."""
    request_id = request_id or uuid.uuid4().hex
    response.headers["X-Request-Id"] = request_id
    result = platform.serving.predict(
        ctx, endpoint, body.rows, keys=body.keys, key=body.key, request_id=request_id
    )
    return PredictOut(**{**result.__dict__, "predictions": result.outputs})
