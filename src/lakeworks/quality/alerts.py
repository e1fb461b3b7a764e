"""Prometheus counters for check runs and quarantined rows, and webhook alerts (the
channel endpoint health alerts use too: ``post``)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PromCounter
from prometheus_client.exposition import generate_latest

from lakeworks.quality.reports import QualityReport

log = logging.getLogger("lakeworks.quality")


class QualityMetrics:
    """Counters of one platform (their own registry, as the server's HTTP metrics)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.checks = PromCounter(
            "lakeworks_quality_checks_total",
            "Check evaluations by workspace, table and status (passed, failed, warned)",
            ["workspace", "table", "status"],
            registry=self.registry,
        )
        self.quarantined = PromCounter(
            "lakeworks_quality_rows_quarantined_total",
            "Rows the quality gate sent to <table>__quarantine",
            ["workspace", "table"],
            registry=self.registry,
        )
        self.refused = PromCounter(
            "lakeworks_quality_writes_refused_total",
            "Writes the quality gate refused (a table-level check of error severity failed)",
            ["workspace", "table"],
            registry=self.registry,
        )

    def observe(self, report: QualityReport, refused: bool = False) -> None:
        for status, count in Counter(r.status for r in report.results).items():
            self.checks.labels(report.workspace, report.table, status).inc(count)
        if report.rows_quarantined:
            self.quarantined.labels(report.workspace, report.table).inc(report.rows_quarantined)
        if refused:
            self.refused.labels(report.workspace, report.table).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def payload(report: QualityReport) -> dict[str, Any]:
    """The JSON body of an alert."""
    return {
        "workspace": report.workspace,
        "table": report.table,
        "version": report.version,
        "run_id": report.run_id,
        "trigger": report.trigger,
        "passed": report.passed,
        "rows_quarantined": report.rows_quarantined,
        "summary": report.summary(),
        "problems": [
            {
                "check": r.check,
                "status": r.status,
                "severity": r.severity,
                "violating": r.violating,
                "total": r.total,
                "message": r.message,
            }
            for r in report.failed + report.warned
        ],
    }


def send(report: QualityReport, urls: set[str], timeout: float = 5.0) -> None:
    """POST the report to each webhook URL; an unreachable hook is logged, never raised."""
    if not urls or not (report.failed or report.warned):
        return
    post(urls, payload(report), timeout)


def post(urls: set[str], body: dict[str, Any], timeout: float = 5.0) -> None:
    """POST ``body`` as JSON to each webhook URL: the alert channel of quality checks and
    of endpoint health. An unreachable hook is logged, never raised."""
    import httpx  # here, not at the top: most processes never send an alert

    for url in sorted(urls):
        try:
            httpx.post(url, json=body, timeout=timeout).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("alert to %s failed: %s", url, exc)
