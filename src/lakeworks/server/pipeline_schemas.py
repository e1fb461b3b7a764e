"""Request and response bodies of the pipelines API (pydantic, at the door only)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from lakeworks.pipelines.records import PipelineInfo, RunInfo, TaskRunInfo
from lakeworks.pipelines.service import BackfillResult


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


class PipelineOut(BaseModel):
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

    @classmethod
    def of(cls, info: PipelineInfo) -> PipelineOut:
        return cls.model_validate(asdict(info))


class RunRequest(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"limit": 10}])
    wait: bool = Field(default=True, description="answer when the run has ended")


class BackfillRequest(BaseModel):
    start: datetime
    end: datetime
    params: dict[str, Any] = Field(default_factory=dict)
    rerun_succeeded: bool = False
    wait: bool = Field(default=True, description="run here and answer at the end, or queue")


class BackfillOut(BaseModel):
    pipeline: str
    backfill: str
    intervals: int
    created: int
    requeued: int
    already_succeeded: int
    states: dict[str, int]

    @classmethod
    def of(cls, result: BackfillResult) -> BackfillOut:
        return cls(**asdict(result))


class TaskRunOut(BaseModel):
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

    @classmethod
    def of(cls, info: TaskRunInfo) -> TaskRunOut:
        return cls.model_validate(asdict(info))


class RunOut(BaseModel):
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
    tasks: list[TaskRunOut] = Field(description="empty in run listings")

    @classmethod
    def of(cls, info: RunInfo) -> RunOut:
        return cls.model_validate(asdict(info))


class TaskLogOut(BaseModel):
    run_id: int
    task: str
    log: str
