"""The values the pipelines store hands out: frozen dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakeworks.errors import NotFoundError
from lakeworks.meta.catalog import aware
from lakeworks.meta.models import PipelineRow, PipelineRunRow, TaskRunRow

ACTIVE_RUN_STATES = ("queued", "running")
FINAL_RUN_STATES = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class PipelineInfo:
    id: int
    workspace: str
    name: str
    source: str
    schedule: str | None
    catchup: bool
    max_active_runs: int
    start_at: datetime | None
    paused: bool
    summary: dict[str, Any]
    trigger_state: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str
    principal: dict[str, Any] | None = None  # who registered or last changed it


@dataclass(frozen=True)
class TaskRunInfo:
    id: int
    run_id: int
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


@dataclass(frozen=True)
class RunInfo:
    id: int
    workspace: str
    pipeline: str
    state: str
    trigger: str
    run_key: str | None
    params: dict[str, Any]
    interval_start: datetime | None
    interval_end: datetime | None
    backfill: str | None
    owner: str | None
    heartbeat_at: datetime | None
    cancel_requested: bool
    recoveries: int
    error: str | None
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    tasks: tuple[TaskRunInfo, ...] = field(default=())
    principal: dict[str, Any] | None = None  # whom its tasks act as (None: embedded)

    def task(self, name: str) -> TaskRunInfo:
        for t in self.tasks:
            if t.task == name:
                return t
        raise NotFoundError(f"run {self.id} has no task {name!r}", run_id=self.id, task=name)


@dataclass(frozen=True)
class NewRun:
    """A run to create: its key (None for manual runs), trigger, window and parameters."""

    run_key: str | None
    trigger: str
    params: dict[str, Any]
    interval_start: datetime | None = None
    interval_end: datetime | None = None
    backfill: str | None = None


TASK_FIELDS = (
    "state",
    "attempts",
    "started_at",
    "finished_at",
    "duration_s",
    "cpu_seconds",
    "peak_memory_bytes",
    "worker",
    "error",
    "traceback",
    "log",
    "result",
    "reads",
    "writes",
)


def pipeline_info(row: PipelineRow, workspace: str) -> PipelineInfo:
    return PipelineInfo(
        id=row.id,
        workspace=workspace,
        name=row.name,
        source=row.source,
        schedule=row.schedule,
        catchup=row.catchup,
        max_active_runs=row.max_active_runs,
        start_at=aware(row.start_at),
        paused=row.paused,
        summary=row.summary or {},
        trigger_state=row.trigger_state or {},
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        created_by=row.created_by,
        principal=row.principal,
    )


def run_info(row: PipelineRunRow, workspace: str, tasks: tuple[TaskRunInfo, ...] = ()) -> RunInfo:
    return RunInfo(
        id=row.id,
        workspace=workspace,
        pipeline=row.pipeline,
        state=row.state,
        trigger=row.trigger,
        run_key=row.run_key,
        params=row.params or {},
        interval_start=aware(row.interval_start),
        interval_end=aware(row.interval_end),
        backfill=row.backfill,
        owner=row.owner,
        heartbeat_at=aware(row.heartbeat_at),
        cancel_requested=row.cancel_requested,
        recoveries=row.recoveries,
        error=row.error,
        created_at=aware(row.created_at),
        created_by=row.created_by,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        tasks=tasks,
        principal=row.principal,
    )


def task_info(row: TaskRunRow) -> TaskRunInfo:
    return TaskRunInfo(
        id=row.id,
        run_id=row.run_id,
        task=row.task,
        state=row.state,
        attempts=row.attempts,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        duration_s=row.duration_s,
        cpu_seconds=row.cpu_seconds,
        peak_memory_bytes=row.peak_memory_bytes,
        worker=row.worker,
        error=row.error,
        traceback=row.traceback,
        result=row.result,
        reads=row.reads or [],
        writes=row.writes or [],
    )
