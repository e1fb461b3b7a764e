"""The live side of the serving service (mixed into ``Serving``): its counts per slot
(``health.Health``), the watchers that judge endpoints in this process, and its close.

Example:
    >>> platform.serving.metrics(ctx, "churn", window="5m").slots  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lakeworks.monitoring.health import seconds_of
from lakeworks.serving import rollout, series
from lakeworks.serving.store import now_ms

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.monitoring.service import Monitoring
    from lakeworks.serving.feedback import Outcome
    from lakeworks.serving.health import EndpointMetrics, Health
    from lakeworks.serving.series import EndpointSeries
    from lakeworks.serving.store import EndpointStore

log = logging.getLogger("lakeworks.serving")


class Judged:
    """Live metrics, health watchers and shutdown of ``Serving``."""

    settings: Settings
    store: EndpointStore
    health: Health
    monitoring: Monitoring | None
    evaluator: rollout.Evaluator
    watchers: list[rollout.Watcher]
    # and ``close_log`` from ``Observed`` (Serving's other base; a stub here would shadow it)

    def metrics(self, ctx: Context, name: str, window: Any = 60) -> EndpointMetrics:
        """Requests, errors and latency per slot over ``window`` (seconds or ``"5m"``),
        summed over every process serving the endpoint; a shadow slot's also carry its
        ``agreement`` with the live answers (``compared`` rows, ``equal`` of them)."""
        self.store.current_version(ctx.workspace, name)  # NotFoundError for an unknown one
        return self.health.metrics(ctx.workspace, name, window)

    def series(
        self, ctx: Context, name: str, window: Any = "1h", step: Any = "1m"
    ) -> EndpointSeries:
        """Requests per second, error rate and p50/p99 latency per slot over ``window``
        in buckets of ``step`` (``serving.series``), every process's, with the
        configuration changes of the window (deploy, promote, auto-rollback and why)."""
        seconds, width = seconds_of(window, "window"), seconds_of(step, "step")
        series.check_points(seconds, width)
        history = self.store.history(ctx.workspace, name)  # NotFoundError names it
        until = now_ms()
        since = until - int(seconds * 1000)
        step_ms = max(int(width * 1000), 1)
        found = self.health.buckets(ctx.workspace, name, since, step_ms)
        changes = tuple(series.Change.of(c) for c in history if c.created_ms > since)
        return series.of_buckets(
            name, found, since_ms=since, until_ms=until, step_ms=step_ms, changes=changes
        )

    def watch(
        self, workspaces: list[str] | None = None, interval: float | None = None
    ) -> rollout.Watcher:
        """Start judging endpoints in this process (canary steps, automatic rollback)
        every ``interval`` seconds (default ``serving_health_interval``); ``stop()`` it."""
        evaluator = rollout.Evaluator(self, self.monitoring, workspaces)
        interval = interval or self.settings.serving_health_interval
        watcher = rollout.Watcher(evaluator.run_once, interval)
        self.watchers.append(watcher)
        return watcher.start()

    def round(self, judge: bool = True) -> None:
        """One round of the server's watcher: flush this process's metrics and, when
        ``judge``, judge every endpoint (``serving_health``)."""
        if judge:
            self.evaluator.run_once()
        else:
            self.health.flush()

    def labelled(self, workspace: str, endpoint: str, outcome: Outcome) -> None:
        """A labeled answer (feedback) counts toward its model's live metric, which
        ``metric_drop`` health policies judge."""
        self.health.label(workspace, endpoint, outcome.slot, outcome.model, outcome.value)

    def close(self) -> None:
        """Stop this process's watchers, flush its counts, write what the prediction log
        buffers (``Observed``) and stop its thread."""
        for watcher in self.watchers:
            watcher.stop()
        self.close_log()
        try:
            self.health.flush()
        except Exception as exc:  # the catalog may be gone at shutdown: say so, go on
            log.warning("could not flush endpoint metrics at close: %s", exc)
