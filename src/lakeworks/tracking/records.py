"""What the tracking service hands out: frozen records, never ORM rows.

Times are milliseconds since the epoch, as in MLflow's protocol.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
FINISHED_STATUSES = frozenset({"FINISHED", "FAILED", "KILLED"})
LIFECYCLE_STAGES = ("active", "deleted")
RUN_VIEWS = ("active", "deleted", "all")

# MLflow's reserved tags, kept so MLflow UIs and clients see the same run
TAG_PARENT_RUN = "mlflow.parentRunId"
TAG_RUN_NAME = "mlflow.runName"
TAG_NOTE = "mlflow.note.content"
TAG_USER = "mlflow.user"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    workspace: str
    artifact_location: str | None
    lifecycle_stage: str
    created_at: int
    updated_at: int
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One point of a metric. NaN and ±inf are kept as they were logged; a point logged
    with no timestamp gets the time it is written."""

    key: str
    value: float
    step: int = 0
    timestamp: int | None = None

    @property
    def is_nan(self) -> bool:
        return math.isnan(self.value)


@dataclass(frozen=True)
class RunInfo:
    id: str
    experiment_id: int
    workspace: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    user_id: str
    parent_run_id: str | None = None
    heartbeat_at: int | None = None
    deleted_time: int | None = None


@dataclass(frozen=True)
class Run:
    """A run: its info, and its params, tags and the latest point of each metric."""

    info: RunInfo
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def metric_values(self) -> dict[str, float]:
        return {key: m.value for key, m in self.metrics.items()}

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "info": asdict(self.info),
            "params": dict(self.params),
            "tags": dict(self.tags),
            "metrics": {k: asdict(m) for k, m in self.metrics.items()},
        }


@dataclass(frozen=True)
class RunInput:
    """Something a run read: a table version, a training set, ..."""

    kind: str  # "table", "training_set", ...
    name: str
    workspace: str | None = None  # the run's workspace when None
    version: int | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class ArtifactInfo:
    """A file or folder in a run's artifacts; folders have no size or digest."""

    path: str
    is_dir: bool
    size: int | None = None
    digest: str | None = None


@dataclass(frozen=True)
class GcResult:
    """What ``gc`` purged (or would purge, on a dry run)."""

    runs: int
    objects: int
    bytes: int
    dry_run: bool
