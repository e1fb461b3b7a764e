"""Prometheus metrics of streams, in the registry of one platform (the server renders it
at /metrics): events published and ingested, and each consumer group's lag."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import generate_latest


class StreamMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.published = Counter(
            "lakeworks_stream_events_published",
            "Events published to a stream",
            ["workspace", "stream"],
            registry=self.registry,
        )
        self.ingested = Counter(
            "lakeworks_stream_events_ingested",
            "Events a sink wrote to its table (outcome: written or quarantined)",
            ["workspace", "stream", "group", "outcome"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "lakeworks_stream_consumer_lag",
            "Events of a stream not yet delivered to a consumer group (at the last look)",
            ["workspace", "stream", "group"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "lakeworks_stream_consumer_pending",
            "Events delivered to a consumer group and not acknowledged (at the last look)",
            ["workspace", "stream", "group"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
