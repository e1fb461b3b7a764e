"""An endpoint's live metrics over time: requests per second, error rate and p50/p99
latency per slot in buckets of ``step`` (a minute by default), with the configuration
changes of the span (deploy, promote, auto-rollback and its reason) to mark on a chart.

The buckets sum every process's flushed rows (``serving.windows``) by the time each was
flushed, so a bucket holds the traffic flushed in it (``serving_health_interval``
seconds late at most). Every slot's arrays are aligned on ``times``: a bucket without
requests has 0 requests and no error rate or latency (None), so a chart shows a gap
rather than a false zero.

Example:
    >>> counts = {("live", "churn/1"): {60_000: Counts(requests=30, errors=3)}}
    >>> found = of_buckets("churn", counts, since_ms=60_000, until_ms=120_000, step_ms=60_000)
    >>> found.times, found.slots[0].requests, found.slots[0].error_rate
    ((60000,), (30,), (0.1,))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lakeworks.errors import InvalidInputError
from lakeworks.monitoring.live import Counts
from lakeworks.serving.endpoints import EndpointConfig

MAX_POINTS = 1440  # a day by the minute; more points than pixels help no chart


@dataclass(frozen=True)
class SlotSeries:
    """One (slot, model) of the endpoint, a value per bucket of ``EndpointSeries.times``."""

    slot: str
    model: str
    requests: tuple[int, ...]
    errors: tuple[int, ...]
    rate: tuple[float, ...]  # requests per second
    error_rate: tuple[float | None, ...]
    p50_ms: tuple[float | None, ...]
    p99_ms: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Change:
    """A configuration written in the span: which version, by what action, who, when;
    ``reason``: the breach behind an automatic change, in words."""

    version: int
    action: str
    created_ms: int
    created_by: str
    live: str
    candidate: str | None
    reason: str | None

    @classmethod
    def of(cls, config: EndpointConfig) -> Change:
        candidate = config.candidate.ref if config.candidate else None
        reason = (config.reason or {}).get("reason")
        return cls(
            config.version, config.action, config.created_ms, config.created_by,
            config.live.ref, candidate, reason,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EndpointSeries:
    """``times``: each bucket's start (ms since the epoch), ``step_ms`` apart."""

    endpoint: str
    since_ms: int
    until_ms: int
    step_ms: int
    times: tuple[int, ...]
    slots: tuple[SlotSeries, ...]
    changes: tuple[Change, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "since_ms": self.since_ms,
            "until_ms": self.until_ms,
            "step_ms": self.step_ms,
            "times": list(self.times),
            "slots": [s.to_dict() for s in self.slots],
            "changes": [c.to_dict() for c in self.changes],
        }


def check_points(window: float, step: float) -> None:
    """Refuse a window of more than ``MAX_POINTS`` steps, or a step longer than it."""
    points = window / step
    if points > MAX_POINTS or step > window:
        raise InvalidInputError(
            f"a series of {window:g} s by steps of {step:g} s has {points:.0f} points; "
            f"it takes 1 to {MAX_POINTS}",
            hint="widen the step (step='5m') or shorten the window",
            expected=f"1..{MAX_POINTS} points",
            found=f"{points:.0f}",
        )


def of_buckets(
    endpoint: str,
    found: dict[tuple[str, str], dict[int, Counts]],
    *,
    since_ms: int,
    until_ms: int,
    step_ms: int,
    changes: tuple[Change, ...] = (),
) -> EndpointSeries:
    """The series of ``found`` (counts per (slot, model) per bucket start) over the
    buckets from ``since_ms`` to ``until_ms``; the last bucket's rate is over the part
    of it that has passed."""
    first = since_ms - since_ms % step_ms
    times = tuple(range(first, until_ms, step_ms)) or (first,)
    spans = [max(min(step_ms, until_ms - t), 1) / 1000 for t in times]
    slots = tuple(
        _slot(slot, model, buckets, times, spans)
        for (slot, model), buckets in sorted(found.items())
    )
    return EndpointSeries(endpoint, since_ms, until_ms, step_ms, times, slots, changes)


def _slot(
    slot: str,
    model: str,
    buckets: dict[int, Counts],
    times: tuple[int, ...],
    spans: list[float],
) -> SlotSeries:
    counts = [buckets.get(t) or Counts() for t in times]
    return SlotSeries(
        slot,
        model,
        tuple(c.requests for c in counts),
        tuple(c.errors for c in counts),
        tuple(round(c.requests / s, 4) for c, s in zip(counts, spans, strict=True)),
        tuple(c.errors / c.requests if c.requests else None for c in counts),
        tuple(_ms(c.quantile(0.5)) for c in counts),
        tuple(_ms(c.quantile(0.99)) for c in counts),
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 4)
