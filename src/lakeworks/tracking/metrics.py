"""Prometheus counters of tracking: runs created and metric points logged, by workspace.

Each Tracking service has its own registry (as the quality counters), rendered by the
server's ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import generate_latest


class TrackingMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "lakeworks_tracking_runs_created_total",
            "Runs created, by workspace",
            ["workspace"],
            registry=self.registry,
        )
        self.points = Counter(
            "lakeworks_tracking_metric_points_total",
            "Metric points received by log_batch (a retried point counts again), by workspace",
            ["workspace"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
