"""Request and response bodies of the endpoints routes (management and predictions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import RecordOut


class DeployRequest(BaseModel):
    model: str = Field(min_length=1, max_length=300, examples=["churn@champion", "churn/3"])
    strategy: Literal["blue-green", "canary", "ab", "shadow"] = "blue-green"
    steps: list[int] = Field(
        default=[5, 25, 50, 100], description="canary: the candidate's share per step, percent"
    )
    share: int = Field(default=50, description="A/B: the candidate's fixed share, percent")
    features: str | None = Field(
        default=None,
        max_length=200,
        description="a feature service: requests may then name entity keys instead of rows",
    )
    health: dict[str, Any] | None = Field(
        default=None,
        description="health policy (error_rate, p99_ms, drift, drift_reference, metric_drop, "
        "metric: the live metric metric_drop judges (auc, accuracy, rmse, mae), "
        "min_metric / max_metric: its absolute floor (auc, accuracy) or ceiling (rmse, mae), "
        "min_agreement, window, min_requests, watch, webhook); default: the endpoint's "
        "current one",
        examples=[
            {"error_rate": 0.05, "p99_ms": 250, "window": "5m"},
            {"metric": "auc", "metric_drop": 0.05, "min_requests": 200, "window": "1h"},
            {"metric": "auc", "min_metric": 0.7, "min_requests": 200, "window": "1h"},
        ],
    )
    every: float | str | None = Field(
        default=None, description="canary: raise the next step this often ('10m', seconds)"
    )


class HealthRequest(BaseModel):
    health: dict[str, Any] | None = Field(
        description="the new health policy, or null for none",
        examples=[{"error_rate": 0.05, "window": "5m", "webhook": "https://hooks.example/x"}],
    )


class SlotOut(RecordOut):
    name: str = Field(description="live (answers) or candidate (the new version)")
    model: str
    version: int


class EndpointOut(RecordOut):
    endpoint: str
    version: int = Field(description="the configuration version")
    strategy: str
    slots: list[SlotOut]
    share: int = Field(description="the candidate's percent of traffic")
    steps: list[int]
    features: str | None = Field(description="the feature service read for entity keys")
    action: str = Field(
        description="what wrote it: deploy, promote, rollback, set-health, auto-promote, "
        "auto-rollback"
    )
    health: dict[str, Any] | None = Field(default=None, description="the health policy")
    every: float | None = Field(default=None, description="canary: seconds between steps")
    reason: dict[str, Any] | None = Field(
        default=None, description="auto-rollback: the policy, threshold and observed value"
    )
    created_by: str
    created_ms: int


class PredictRequest(BaseModel):
    rows: list[dict[str, Any]] | None = Field(
        default=None,
        description="input rows, one JSON object each, columns as the model's signature",
        examples=[[{"age": 41, "income": 52.5}]],
    )
    keys: list[dict[str, Any]] | None = Field(
        default=None,
        description="instead of rows: entity keys; the endpoint's feature service is read "
        "from the online store for each",
        examples=[[{"customer_id": 7}]],
    )
    key: str | None = Field(
        default=None,
        max_length=256,
        description="a request key (customer id): the same key always meets the same slot",
    )


class PredictOut(BaseModel):
    request_id: str
    endpoint: str
    config_version: int
    slot: str
    model: str = Field(description="the model version that answered, as name/version")
    predictions: list[dict[str, Any] | None]
    errors: list[str | None] = Field(description="per row: why it failed, or null")


class ScoreRequest(BaseModel):
    table: str = Field(min_length=1, max_length=200, description="the table to score")
    into: str = Field(min_length=1, max_length=200, description="the table written")
    version: int | None = Field(default=None, ge=0, description="table version [latest]")
    mode: Literal["overwrite", "append"] = "overwrite"


class ScoreOut(BaseModel):
    endpoint: str
    model: str = Field(description="the model version that scored, as name/version")
    source: str
    source_version: int
    table: str
    version: int = Field(description="the version of the table written")
    rows: int
    failed: int = Field(description="rows the model failed on (their error column says why)")
    seconds: float


class SlotMetricsOut(BaseModel):
    slot: str
    model: str
    requests: int
    errors: int
    error_rate: float
    rate: float = Field(description="requests per second over the window")
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    label_n: int
    label_mean: float | None
    compared: int = Field(
        default=0, description="a shadow: its answer rows compared with the live answers"
    )
    equal: int = Field(default=0, description="a shadow: compared rows equal to the live ones")
    agreement: float | None = Field(
        default=None, description="a shadow: equal / compared (null: nothing compared)"
    )


class EndpointMetricsOut(BaseModel):
    endpoint: str
    window: float = Field(description="seconds")
    slots: list[SlotMetricsOut]


class SlotSeriesOut(BaseModel):
    slot: str
    model: str
    requests: list[int]
    errors: list[int]
    rate: list[float] = Field(description="requests per second in each bucket")
    error_rate: list[float | None] = Field(description="null where the bucket had no request")
    p50_ms: list[float | None]
    p99_ms: list[float | None]


class ChangeOut(BaseModel):
    version: int
    action: str = Field(examples=["deploy", "promote", "auto-rollback"])
    created_ms: int
    created_by: str
    live: str
    candidate: str | None
    reason: str | None = Field(description="the breach behind an automatic change")


class EndpointSeriesOut(BaseModel):
    endpoint: str
    since_ms: int
    until_ms: int
    step_ms: int
    times: list[int] = Field(description="each bucket's start, ms since the epoch")
    slots: list[SlotSeriesOut] = Field(description="one per (slot, model), aligned on times")
    changes: list[ChangeOut] = Field(description="configurations written in the window")
