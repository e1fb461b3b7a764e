"""Bodies of the runs router. Non-finite metric values are the strings "NaN", "Infinity"
and "-Infinity" (as protobuf's JSON mapping writes them, which MLflow clients read)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from lakeworks.server.schemas.base import RecordOut

RunView = Literal["active", "deleted", "all"]


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


MetricValue = Annotated[
    float | Literal["NaN", "Infinity", "-Infinity"], BeforeValidator(_json_number)
]


class MetricOut(RecordOut):
    key: str
    value: MetricValue
    step: int
    timestamp: int = Field(description="ms since the epoch")


class RunInfoOut(RecordOut):
    id: str
    experiment_id: int
    name: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    user_id: str
    parent_run_id: str | None


def _metric_list(value: Any) -> Any:
    return list(value.values()) if isinstance(value, dict) else value


class RunOut(RecordOut):
    info: RunInfoOut
    params: dict[str, str]
    tags: dict[str, str]
    metrics: Annotated[list[MetricOut], BeforeValidator(_metric_list)] = Field(
        description="the latest point of each metric"
    )


class RunsPage(BaseModel):
    runs: list[RunOut]
    next_page_token: str | None


class RunSearch(BaseModel):
    experiment_ids: list[int] | None = Field(
        default=None, max_length=1000, description="all experiments of the workspace when absent"
    )
    filter: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    order_by: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )
    max_results: int = Field(default=1000, ge=1, le=50_000)
    page_token: Annotated[str, StringConstraints(max_length=1000)] | None = None
    run_view: RunView = "active"


class ArtifactOut(RecordOut):
    path: str
    is_dir: bool
    size: int | None
    digest: str | None
