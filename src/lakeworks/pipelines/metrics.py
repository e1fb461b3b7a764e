"""Prometheus metrics of pipelines, in their own registry for the server to mount."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry()

RUNS_STARTED = Counter(
    "lakeworks_pipeline_runs_started",
    "Pipeline runs started",
    ["workspace", "pipeline"],
    registry=REGISTRY,
)
RUNS_SUCCEEDED = Counter(
    "lakeworks_pipeline_runs_succeeded",
    "Pipeline runs that succeeded",
    ["workspace", "pipeline"],
    registry=REGISTRY,
)
RUNS_FAILED = Counter(
    "lakeworks_pipeline_runs_failed",
    "Pipeline runs that failed or were cancelled",
    ["workspace", "pipeline", "state"],
    registry=REGISTRY,
)
TASK_DURATION = Histogram(
    "lakeworks_pipeline_task_duration_seconds",
    "Duration of task attempts",
    ["workspace", "pipeline", "state"],
    buckets=(0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600),
    registry=REGISTRY,
)
