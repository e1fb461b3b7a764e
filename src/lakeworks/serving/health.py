"""Live metrics of the endpoints served by this process, and their readout.

``Health.observe`` is called once per prediction (about a microsecond: counters and a
reference to the request's rows, see ``monitoring.live``). Every
``serving_health_interval`` seconds the watcher (``serving.rollout``) flushes the counts
to the catalog; ``metrics`` flushes this process's counts first, then sums every
process's rows over the window, so a readout or a verdict covers all replicas.

Example:
    >>> platform.serving.metrics(ctx, "churn", window="5m").slots[0].stats.p99_ms  # doctest: +SKIP
    12.8
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeworks.monitoring.health import SlotStats, seconds_of
from lakeworks.monitoring.live import Counts, LiveMetrics
from lakeworks.serving.store import now_ms
from lakeworks.serving.windows import WindowStore

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.meta.catalog import Catalog
    from lakeworks.serving.endpoints import Slot
    from lakeworks.serving.prediction import Deployment


@dataclass(frozen=True)
class SlotMetrics:
    """One (slot, model) of an endpoint over the window."""

    slot: str
    stats: SlotStats

    def to_dict(self) -> dict[str, Any]:
        return {"slot": self.slot, **self.stats.to_dict()}


@dataclass(frozen=True)
class EndpointMetrics:
    endpoint: str
    window: float
    slots: tuple[SlotMetrics, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "window": self.window,
            "slots": [s.to_dict() for s in self.slots],
        }


class Health:
    """This process's live metrics (``live``) and the catalog's windows (``windows``)."""

    def __init__(self, catalog: Catalog, sample_rows: int, retention: float) -> None:
        self.live = LiveMetrics(sample_rows)
        self.windows = WindowStore(catalog)
        self.retention = retention
        self.process = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._purged = 0.0

    def observe(
        self,
        deployment: Deployment,
        slot: Slot,
        seconds: float,
        error: bool,
        table: pa.Table,
        *,
        compared: int = 0,
        equal: int = 0,
    ) -> None:
        """One request answered by ``slot``; a shadow's also counts its ``compared``
        answer rows and those ``equal`` to the live answers."""
        key = (deployment.workspace, deployment.config.endpoint, slot.name, slot.ref)
        self.live.observe(key, seconds, error=error, inputs=table, compared=compared, equal=equal)

    def label(self, workspace: str, endpoint: str, slot: str, model: str, value: float) -> None:
        """One labelled outcome of a prediction ``model`` answered in ``slot`` (1.0 or 0.0
        for a right or wrong answer, or any score; higher is better). The prediction log's
        feedback calls this; ``metric_drop`` policies judge the mean per model."""
        self.live.label((workspace, endpoint, slot, model), value)

    def flush(self) -> int:
        """Write this process's counts since its last flush; drop expired rows now and
        then. Counts that fail to write are put back, so none is lost."""
        items = self.live.take()
        try:
            written = self.windows.flush(self.process, items)
        except Exception:
            self.live.restore(items)
            raise
        if time.monotonic() - self._purged > 60:
            self._purged = time.monotonic()
            self.windows.purge(now_ms() - int(self.retention * 1000))
        return written

    def window(self, workspace: str, endpoint: str, since_ms: int) -> dict[tuple[str, str], Counts]:
        """Every process's counts of ``endpoint`` since ``since_ms``, this one's included."""
        self.flush()
        return self.windows.read(workspace, endpoint, since_ms)

    def metrics(self, workspace: str, endpoint: str, window: Any) -> EndpointMetrics:
        seconds = seconds_of(window, "window")
        found = self.window(workspace, endpoint, now_ms() - int(seconds * 1000))
        slots = tuple(
            SlotMetrics(slot, SlotStats.of(model, counts, seconds))
            for (slot, model), counts in sorted(found.items())
        )
        return EndpointMetrics(endpoint, seconds, slots)

    def buckets(
        self, workspace: str, endpoint: str, since_ms: int, step_ms: int
    ) -> dict[tuple[str, str], dict[int, Counts]]:
        """Every process's counts of ``endpoint`` since ``since_ms`` per bucket of
        ``step_ms``, this one's flushed first."""
        self.flush()
        return self.windows.buckets(workspace, endpoint, since_ms, step_ms)

    def forget(self, workspace: str, endpoint: str) -> None:
        self.live.forget(workspace, endpoint)
        self.windows.delete(workspace, endpoint)
