"""Prometheus metrics: requests and latency by route template and status, per app.

Each app has its own CollectorRegistry, so several apps (tests, replicas in one process)
never share counters. Routes are labelled by template (``/api/v1/workspaces/{ws}/tables``),
never by raw path, to keep label cardinality bounded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from lakeworks.security.costs import Costs

UNMATCHED = "<unmatched>"


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lakeworks_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lakeworks_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.statements = Gauge(
            "lakeworks_sql_statements_running",
            "SQL statements running now (set to read the engine's count at each scrape)",
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class CostGauges:
    """Usage and cost of each workspace over the last 30 days, computed at each scrape
    (one aggregated catalog query): ``lakeworks_cost_30d{workspace,price}`` and
    ``lakeworks_usage_30d{workspace,quantity}``."""

    def __init__(self, costs: Costs) -> None:
        self.costs = costs

    def describe(self) -> list[Metric]:
        return []  # the registry must not call collect() at registration

    def collect(self) -> Iterator[Metric]:
        cost = GaugeMetricFamily(
            "lakeworks_cost_30d", "cost of the last 30 days by price", labels=["workspace", "price"]
        )
        use = GaugeMetricFamily(
            "lakeworks_usage_30d", "usage of the last 30 days", labels=["workspace", "quantity"]
        )
        for line in self.costs.report(("workspace",), since="30d").lines:
            ws = str(line.group["workspace"])
            for price, value in line.costs.items():
                cost.add_metric([ws, price], value)
            for quantity, value in line.quantities.items():
                use.add_metric([ws, quantity], value)
        yield cost
        yield use


class MetricsMiddleware:
    """Pure ASGI middleware (no body buffering) that times every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - start)
