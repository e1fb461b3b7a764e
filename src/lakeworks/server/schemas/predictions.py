"""Bodies of the prediction-log routes: feedback, live metrics, A/B read-out, endpoint
drift and prediction lineage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from lakeworks.monitoring.methods import METHODS
from lakeworks.server.schemas.base import RecordOut
from lakeworks.server.schemas.monitoring import DriftReportOut

Label = str | int | float | bool


class FeedbackIn(BaseModel):
    """The true label of a logged prediction, named by ``request_id`` or by ``key`` (its
    latest request). ``label`` may be a list with one label per row of the request."""

    request_id: str | None = Field(default=None, min_length=1, max_length=128)
    key: str | None = Field(default=None, min_length=1, max_length=256)
    label: Label | list[Label]
    row: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_request(self) -> FeedbackIn:
        if (self.request_id is None) == (self.key is None):
            raise ValueError("name the request by exactly one of request_id and key")
        return self


class FeedbackOut(RecordOut):
    endpoint: str
    request_id: str
    rows: list[int] = Field(description="the rows of the request that were labeled")
    version: int = Field(description="the _feedback table version written")


class ModelMetricsOut(RecordOut):
    slot: str
    model: str = Field(description="the model version the slot holds, name/version")
    predictions: int = Field(description="rows the slot answered in the window")
    labeled: int = Field(description="of those, rows with a label")
    metrics: dict[str, float] = Field(description="accuracy, auc or rmse, mae")


class ABReadoutOut(RecordOut):
    endpoint: str
    window: str
    metric: str = Field(description="accuracy (classifiers) or mae (regressors)")
    test: str
    variants: list[ModelMetricsOut]
    difference: float | None = Field(description="candidate minus live")
    low: float | None
    high: float | None
    p_value: float | None
    confidence: float
    significant: bool
    note: str | None


class ReferenceIn(BaseModel):
    reference: str = Field(
        pattern=r"^[a-z_][a-z0-9_]*(@v\d{1,18})?$", max_length=200, examples=["churn_train@v3"]
    )
    slot: Literal["live", "candidate"] = "live"


class EndpointDriftOut(DriftReportOut):
    endpoint: str
    slot: str
    model: str
    window: str
    requests: int = Field(description="logged rows of the window compared")


DriftMethod = Literal[METHODS] | None  # type: ignore[valid-type]


class TraceOut(RecordOut):
    request_id: str
    endpoint: str
    time: str
    latency_ms: float
    configuration: dict[str, Any] | None = Field(description="the endpoint configuration")
    model: dict[str, Any]
    training: dict[str, Any] = Field(description="the run and the tables it read")
    rows: list[dict[str, Any]]
    feature_views: dict[str, int]
    shadow: list[dict[str, Any]]
    labels: list[dict[str, Any]]
