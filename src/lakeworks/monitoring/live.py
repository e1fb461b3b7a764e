"""Live endpoint metrics of one process: requests, errors, a latency histogram, label
scores, a shadow's agreement with the live answers and a bounded sample of recent inputs,
per (workspace, endpoint, slot, model).

The hot path (``observe``) takes one lock, bisects the latency into fixed bucket bounds
and bumps integers: a few microseconds. It keeps running totals since the process
started, exported to Prometheus at scrape time by a collector (nothing is formatted per
request); ``take`` returns the counts since the previous take (the totals less those
taken), which the process flushes to the catalog so health is judged on every replica's
traffic.

Example:
    >>> live = LiveMetrics(sample_rows=100)
    >>> live.observe(("ws", "churn", "live", "churn/1"), 0.004, error=False)
    >>> [(key[3], counts.requests) for key, counts in live.take()]
    [('churn/1', 1)]
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pyarrow as pa
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import generate_latest

# latency bucket upper bounds in seconds: 0.1 ms growing by half each step to ~2 minutes
BOUNDS: tuple[float, ...] = tuple(1e-4 * 1.5**i for i in range(36))
Key = tuple[str, str, str, str]  # workspace, endpoint, slot, model (name/version)
LABELS = ["workspace", "endpoint", "slot", "model"]


@dataclass
class Counts:
    """Requests, failed requests, latency bucket counts (``len(BOUNDS) + 1``, the last
    for anything slower), labelled outcomes (their count and sum) of one key, and for a
    shadow the answer rows compared with the live answers and how many were equal."""

    requests: int = 0
    errors: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS) + 1))
    label_n: int = 0
    label_sum: float = 0.0
    compared: int = 0
    equal: int = 0

    def merge(self, other: Counts) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.label_n += other.label_n
        self.label_sum += other.label_sum
        self.compared += other.compared
        self.equal += other.equal

    def quantile(self, q: float) -> float | None:
        """The upper bound (seconds) of the bucket holding the ``q`` quantile, None with
        no requests (the last bucket reports the last bound: at least that slow)."""
        total = sum(self.buckets)
        if total == 0:
            return None
        rank = q * total
        seen = 0
        for i, count in enumerate(self.buckets):
            seen += count
            if seen >= rank and count:
                return BOUNDS[min(i, len(BOUNDS) - 1)]
        return BOUNDS[-1]


class LiveMetrics:
    """The metrics of one process; thread-safe. ``sample_rows``: recent input rows kept
    per (workspace, endpoint, model) for drift."""

    def __init__(self, sample_rows: int) -> None:
        self.sample_rows = sample_rows
        self._lock = threading.Lock()
        self._totals: dict[Key, Counts] = {}
        self._taken: dict[Key, Counts] = {}  # the totals at the last take
        self._samples: dict[Key, _Sample] = {}
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(self))

    def observe(
        self,
        key: Key,
        seconds: float,
        *,
        error: bool,
        inputs: pa.Table | None = None,
        compared: int = 0,
        equal: int = 0,
    ) -> None:
        """One request of ``key`` that took ``seconds`` (failed when ``error``); a shadow's
        request also counts its ``compared`` answer rows, ``equal`` to the live ones."""
        index = bisect_left(BOUNDS, seconds)
        with self._lock:
            counts = self._totals.get(key)
            if counts is None:
                counts = self._totals[key] = Counts()
            counts.requests += 1
            counts.errors += error
            counts.buckets[index] += 1
            counts.compared += compared
            counts.equal += equal
            if inputs is not None and self.sample_rows:
                sample = self._samples.get(key)
                if sample is None:
                    sample = self._samples[key] = _Sample(self.sample_rows)
                sample.add(inputs)

    def label(self, key: Key, value: float, count: int = 1) -> None:
        """``count`` labelled outcomes of ``key`` summing to ``value`` (1.0 per correct
        answer for accuracy): the live metric a health policy's ``metric_drop`` reads."""
        with self._lock:
            counts = self._totals.get(key)
            if counts is None:
                counts = self._totals[key] = Counts()
            counts.label_n += count
            counts.label_sum += value

    def take(self) -> list[tuple[Key, Counts]]:
        """The counts since the last take (to flush): the totals less what was taken."""
        with self._lock:
            totals = [(k, _copy(c)) for k, c in self._totals.items()]
            taken, self._taken = self._taken, dict(totals)
        found = []
        for key, counts in totals:
            before = taken.get(key)
            delta = counts if before is None else _less(counts, before)
            if delta.requests or delta.label_n:
                found.append((key, delta))
        return found

    def restore(self, items: list[tuple[Key, Counts]]) -> None:
        """Put taken counts back (their flush failed), so the next take has them."""
        with self._lock:
            for key, counts in items:
                before = self._taken.get(key)
                if before is not None:
                    self._taken[key] = _less(before, counts)

    def inputs(self, workspace: str, endpoint: str, model: str, since_ms: int) -> pa.Table | None:
        """The sampled input rows ``model`` received at ``endpoint`` since ``since_ms``."""
        with self._lock:
            samples = [
                s
                for k, s in self._samples.items()
                if k[:2] == (workspace, endpoint) and k[3] == model
            ]
            parts = [t for s in samples for t in s.since(since_ms)]
        if not parts:
            return None
        try:
            return pa.concat_tables(parts, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # requests with clashing column types: no drift judged on them

    def forget(self, workspace: str, endpoint: str) -> None:
        """Drop a deleted endpoint's totals and samples."""
        with self._lock:
            for table in (self._totals, self._taken, self._samples):
                for key in [k for k in table if k[:2] == (workspace, endpoint)]:
                    del table[key]

    def totals(self) -> list[tuple[Key, Counts]]:
        with self._lock:
            return [(k, _copy(c)) for k, c in self._totals.items()]

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Sample:
    """Recent request tables of one model, at most ``rows`` rows (oldest dropped)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.held = 0
        self.parts: deque[tuple[int, pa.Table]] = deque()

    def add(self, table: pa.Table) -> None:
        if table.num_rows > self.rows:
            table = table.slice(table.num_rows - self.rows)
        self.parts.append((int(time.time() * 1000), table))
        self.held += table.num_rows
        while self.held - self.parts[0][1].num_rows >= self.rows:
            self.held -= self.parts.popleft()[1].num_rows

    def since(self, since_ms: int) -> list[pa.Table]:
        return [t for at, t in self.parts if at >= since_ms]


def _less(counts: Counts, other: Counts) -> Counts:
    return Counts(
        counts.requests - other.requests,
        counts.errors - other.errors,
        [a - b for a, b in zip(counts.buckets, other.buckets, strict=True)],
        counts.label_n - other.label_n,
        counts.label_sum - other.label_sum,
        counts.compared - other.compared,
        counts.equal - other.equal,
    )


def _copy(counts: Counts) -> Counts:
    return replace(counts, buckets=list(counts.buckets))


class _Collector:
    """Reads the totals at scrape time (nothing per request)."""

    def __init__(self, live: LiveMetrics) -> None:
        self.live = live

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        totals = self.live.totals()
        requests = CounterMetricFamily(
            "lakeworks_serving_requests", "Prediction requests per endpoint slot", labels=LABELS
        )
        errors = CounterMetricFamily(
            "lakeworks_serving_errors",
            "Prediction requests the model failed (raised, or answered a row with an error)",
            labels=LABELS,
        )
        compared = CounterMetricFamily(
            "lakeworks_serving_shadow_compared",
            "Answer rows of a shadow slot compared with the live slot's answers",
            labels=LABELS,
        )
        equal = CounterMetricFamily(
            "lakeworks_serving_shadow_equal",
            "Answer rows of a shadow slot equal to the live slot's answers",
            labels=LABELS,
        )
        latency = HistogramMetricFamily(
            "lakeworks_serving_latency_seconds",
            "Prediction latency per endpoint slot (the model call, micro-batch wait included)",
            labels=LABELS,
        )
        for key, counts in totals:
            labels = list(key)
            requests.add_metric(labels, counts.requests)
            errors.add_metric(labels, counts.errors)
            latency.add_metric(labels, _cumulative(counts), sum_value=_sum(counts))
            if counts.compared:
                compared.add_metric(labels, counts.compared)
                equal.add_metric(labels, counts.equal)
        yield from (requests, errors, latency, compared, equal)


def _cumulative(counts: Counts) -> list[tuple[str, float]]:
    out, seen = [], 0
    for bound, count in zip((*BOUNDS, float("inf")), counts.buckets, strict=True):
        seen += count
        out.append(("+Inf" if bound == float("inf") else repr(bound), seen))
    return out


def _sum(counts: Counts) -> float:
    """An estimate of the latency sum (each request at its bucket's midpoint)."""
    lows = (0.0, *BOUNDS)
    highs = (*BOUNDS, BOUNDS[-1])
    return sum(c * (lo + hi) / 2 for c, lo, hi in zip(counts.buckets, lows, highs, strict=True))
