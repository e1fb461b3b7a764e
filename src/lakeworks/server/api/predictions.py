"""What the prediction log answers: feedback, model metrics and the A/B read-out under
/api/v1/workspaces/{ws}/endpoints/{endpoint}, endpoint drift, and prediction lineage at
/api/v1/workspaces/{ws}/lineage/predictions/{request_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from lakeworks.server.dependencies import ContextDep, PlatformDep, name_rule
from lakeworks.server.schemas.predictions import (
    ABReadoutOut,
    DriftMethod,
    EndpointDriftOut,
    FeedbackIn,
    FeedbackOut,
    ModelMetricsOut,
    ReferenceIn,
    TraceOut,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}/endpoints", tags=["endpoints"])
lineage_router = APIRouter(prefix="/api/v1/workspaces/{ws}/lineage", tags=["lineage"])
EndpointName = name_rule("endpoint", example="churn")
Window = Annotated[str, Query(pattern=r"^\d{1,9}(\.\d+)?[smhd]$", description="e.g. 15m, 1h, 7d")]


@router.post("/{endpoint}/feedback")
def feedback(
    endpoint: EndpointName, body: FeedbackIn, ctx: ContextDep, platform: PlatformDep
) -> FeedbackOut:
    """Record the true label of a logged prediction; an unknown request id is a 404."""
    result = platform.serving.feedback(ctx, endpoint, **body.model_dump())
    return FeedbackOut.model_validate(result)


@router.get("/{endpoint}/model-metrics")
def model_metrics(
    endpoint: EndpointName, ctx: ContextDep, platform: PlatformDep, window: Window = "1h"
) -> dict[str, ModelMetricsOut]:
    """Per slot: the model metrics over the labeled predictions of the window."""
    found = platform.serving.live_metrics(ctx, endpoint, window)
    return {slot: ModelMetricsOut.model_validate(m) for slot, m in found.items()}


@router.get("/{endpoint}/ab")
def ab(
    endpoint: EndpointName,
    ctx: ContextDep,
    platform: PlatformDep,
    window: Window = "1h",
    confidence: Annotated[float, Query(gt=0, lt=1)] = 0.95,
) -> ABReadoutOut:
    """Candidate minus live: the difference with its confidence interval and p-value."""
    found = platform.serving.ab_readout(ctx, endpoint, window, confidence=confidence)
    return ABReadoutOut.model_validate(found.to_dict())


@router.get("/{endpoint}/drift")
def drift(
    endpoint: EndpointName,
    ctx: ContextDep,
    platform: PlatformDep,
    window: Window = "1h",
    slot: Annotated[str, Query(pattern="^(live|candidate)$")] = "live",
    reference: Annotated[str | None, Query(pattern=r"^[a-z_][a-z0-9_]*(@v\d{1,18})?$")] = None,
    method: DriftMethod = None,
    threshold: Annotated[float | None, Query(ge=0)] = None,
) -> EndpointDriftOut:
    """Input drift per feature and prediction drift of the window's requests against the
    model's training reference (422 when it has none: set one with PUT drift-reference)."""
    found = platform.serving.drift(
        ctx, endpoint, window, slot=slot, reference=reference, method=method, threshold=threshold
    )
    return EndpointDriftOut.model_validate(found.to_dict())


@router.put("/{endpoint}/drift-reference")
def set_reference(
    endpoint: EndpointName, body: ReferenceIn, ctx: ContextDep, platform: PlatformDep
) -> ReferenceIn:
    """Make a table (version) the drift reference of the model version in a slot."""
    platform.serving.set_reference(ctx, endpoint, body.reference, slot=body.slot)
    return body


@lineage_router.get("/predictions/{request_id}")
def prediction(
    request_id: Annotated[str, Path(min_length=1, max_length=128)],
    ctx: ContextDep,
    platform: PlatformDep,
) -> TraceOut:
    """What made one prediction: the endpoint configuration, the model version, the
    inputs and online features, and the run and table versions it was trained on."""
    return TraceOut.model_validate(platform.serving.trace(ctx, request_id).to_dict())
