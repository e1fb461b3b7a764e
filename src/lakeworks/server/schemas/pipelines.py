"""Bodies of the pipelines routers (``/pipelines``, ``/pipeline-runs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from lakeworks.server.schemas.base import RecordOut


class PipelineRegister(BaseModel):
    source: str = Field(
        min_length=4,
        max_length=500,
        description="a .py file of the workspace's code folder, as a relative path; "
        "never an absolute path or a module name",
        examples=["orders.py"],
    )
    code: str | None = Field(
        default=None,
        max_length=1_000_000,
        description="the Python source: uploaded to the code folder as `source` first",
    )


class ActingOut(BaseModel):
    """Whom a pipeline's runs act as: the name and kind only. The stored principal also
    holds its groups, roles, admin flag and token id; none of those leave the server
    (pydantic drops the fields this model does not declare)."""

    name: str = Field(examples=["mia"])
    kind: str = Field(description="user or service", examples=["user"])


class PipelineOut(RecordOut):
    """From a ``PipelineInfo``."""

    name: str
    source: str
    schedule: str | None
    catchup: bool
    max_active_runs: int
    start_at: datetime | None
    paused: bool
    summary: dict[str, Any] = Field(description="tasks, dependencies, parameters")
    created_at: datetime
    updated_at: datetime
    created_by: str
    principal: ActingOut | None = Field(
        description="who registered or last changed it: whom its scheduled and event runs "
        "act as (null in embedded mode, where runs are not checked)"
    )


class RunRequest(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"limit": 10}])
    wait: bool = Field(default=True, description="answer when the run has ended")


class BackfillRequest(BaseModel):
    start: datetime
    end: datetime
    params: dict[str, Any] = Field(default_factory=dict)
    rerun_succeeded: bool = False
    wait: bool = Field(default=True, description="run here and answer at the end, or queue")


class BackfillOut(RecordOut):
    """From a ``BackfillResult``."""

    pipeline: str
    backfill: str
    intervals: int
    created: int
    requeued: int
    already_succeeded: int
    states: dict[str, int]


class TaskRunOut(RecordOut):
    """From a ``TaskRunInfo``."""

    task: str
    state: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    cpu_seconds: float | None
    peak_memory_bytes: int | None
    worker: str | None
    error: str | None
    traceback: str | None
    result: dict[str, Any] | None
    reads: list[dict[str, Any]]
    writes: list[dict[str, Any]]


class RunOut(RecordOut):
    """From a ``RunInfo``, its tasks included."""

    id: int
    pipeline: str
    state: str
    trigger: str
    run_key: str | None
    params: dict[str, Any]
    interval_start: datetime | None
    interval_end: datetime | None
    backfill: str | None
    cancel_requested: bool
    recoveries: int
    error: str | None
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    principal: ActingOut | None = Field(
        description="whom its tasks act as: who triggered it, or for a scheduled or event "
        "run who registered or last changed the pipeline (null in embedded mode)"
    )
    tasks: list[TaskRunOut] = Field(description="empty in run listings")


class TaskLogOut(BaseModel):
    run_id: int
    task: str
    log: str
