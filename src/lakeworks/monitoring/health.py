"""Health policies of an endpoint and their verdict on a slot's window of traffic.

A policy is a threshold per signal, judged over ``window`` seconds of traffic once the
slot answered at least ``min_requests`` requests in it:

- ``error_rate``: the share of requests the model failed (0..1), breached above it;
- ``p99_ms``: the 99th latency percentile in milliseconds, breached above it;
- ``drift``: the share of input columns that drifted (``monitoring``'s statistics) from
  the reference (``drift_reference``, a table such as ``customers@v3``; default: the
  inputs the live slot received), breached at or above it;
- ``metric_drop``: how far the slot's live metric fell below the live slot's, breached
  above it. The metric is the one ``metric`` names (``LIVE_METRICS``: ``auc`` and
  ``accuracy`` of a classifier, ``rmse`` and ``mae`` of a regressor, the last two worse
  when higher), as ``live_metrics`` computes it from the prediction log and its labels;
  without ``metric``, the mean of the labelled outcomes (accuracy when each is 1 or 0).
  Judged once both slots have ``min_requests`` labelled rows;
- ``min_metric`` / ``max_metric``: an absolute bound on the named ``metric`` of the
  watched model alone, so it needs no baseline traffic (after a blue-green switch there
  is none): ``min_metric`` is a floor for ``auc`` and ``accuracy`` (breached below it),
  ``max_metric`` a ceiling for ``rmse`` and ``mae`` (breached above it). Judged once the
  model has ``min_requests`` labelled rows;
- ``min_agreement``: a shadow's share of answer rows equal to the live answers (0..1),
  breached below it once ``min_requests`` rows were compared.

``watch``: seconds after a new version takes all traffic (a blue-green switch or a final
promote) during which a breach still rolls it back. ``webhook``: where alerts are POSTed.

Example:
    >>> policy = HealthPolicy.from_dict({"error_rate": 0.05, "window": "1m"})
    >>> judge(policy, SlotStats("churn/2", requests=40, errors=8, seconds=60.0)).policy
    'error_rate'
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any

from lakeworks.errors import InvalidInputError
from lakeworks.monitoring.live import Counts

# a live metric a policy may name -> +1 when higher is better, -1 when lower is
LIVE_METRICS = {"accuracy": 1, "auc": 1, "rmse": -1, "mae": -1}
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def seconds_of(value: Any, what: str) -> float:
    """Seconds from a number, a timedelta or text like ``"30s"``, ``"10m"``, ``"1h"``."""
    if isinstance(value, timedelta):
        found = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise InvalidInputError(
                f"{what} must be a duration, not {value!r}",
                hint="write seconds (30), or text such as '30s', '10m', '1h'",
                expected="a duration",
                found=str(value),
            )
        found = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not (found > 0 and math.isfinite(found)):
        raise InvalidInputError(
            f"{what} must be a positive duration, not {value!r}", expected="> 0", found=str(value)
        )
    return found


@dataclass(frozen=True)
class HealthPolicy:
    error_rate: float | None = None
    p99_ms: float | None = None
    drift: float | None = None
    drift_reference: str | None = None
    metric_drop: float | None = None
    metric: str | None = None
    min_metric: float | None = None
    max_metric: float | None = None
    min_agreement: float | None = None
    window: float = 60.0
    min_requests: int = 20
    watch: float = 300.0
    webhook: str | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HealthPolicy:
        """A policy from ``deploy(health={...})``, checked: unknown keys and values out of
        range are refused naming the key, what it takes and what was found."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown health policy setting(s) {unknown}",
                hint=f"a health policy takes {sorted(known)}",
                expected=", ".join(sorted(known)),
                found=", ".join(unknown),
            )
        v = dict(values)
        for name in ("error_rate", "drift", "min_agreement"):
            v[name] = _number(v, name, low=0.0, high=1.0)
        v["metric_drop"] = _number(v, "metric_drop", low=0.0, high=None)
        v["p99_ms"] = _number(v, "p99_ms", low=0.0, high=None)
        v["min_metric"] = _number(v, "min_metric", low=0.0, high=1.0)
        v["max_metric"] = _number(v, "max_metric", low=0.0, high=None)
        for name in ("window", "watch"):
            if v.get(name) is not None:
                v[name] = seconds_of(v[name], f"health {name}")
        if v.get("min_requests") is not None:
            v["min_requests"] = int(_number(v, "min_requests", low=1.0, high=None))
        for name in ("drift_reference", "webhook"):
            if v.get(name) is not None and not isinstance(v[name], str):
                raise InvalidInputError(
                    f"health {name} must be text", expected="text", found=repr(v[name])
                )
        _check_metric(v)
        return cls(**{k: x for k, x in v.items() if x is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def watches_drift(self) -> bool:
        return self.drift is not None

    @property
    def watches_metric(self) -> bool:
        """Whether the policy judges a named live metric (read from the prediction log)."""
        bounds = (self.metric_drop, self.min_metric, self.max_metric)
        return self.metric is not None and any(b is not None for b in bounds)


# the bound of a live metric by its direction: a floor when higher is better, else a ceiling
_BOUND = {1: "min_metric", -1: "max_metric"}
_BOUNDED = {"min_metric": "auc", "max_metric": "rmse"}  # an example metric each bound fits


def _check_metric(values: dict[str, Any]) -> None:
    """``metric`` names a live metric, and only beside a ``metric_drop`` or the absolute
    bound that judges it."""
    metric = values.get("metric")
    if metric is None:
        _check_bounds(values, None)
        return
    if metric not in LIVE_METRICS:
        raise InvalidInputError(
            f"health metric must name a live metric, not {metric!r}",
            hint=f"a policy watches one of {sorted(LIVE_METRICS)}",
            expected=", ".join(sorted(LIVE_METRICS)),
            found=repr(metric),
        )
    _check_bounds(values, metric)
    fits = _BOUND[LIVE_METRICS[metric]]
    if values.get("metric_drop") is None and values.get(fits) is None:
        raise InvalidInputError(
            f"health metric {metric!r} is judged by metric_drop or {fits}, both missing",
            hint=f'add the drop or the bound that breaches, e.g. {{"metric": "{metric}", '
            f'"metric_drop": 0.05}}',
            expected=f"metric_drop or {fits}",
            found="metric alone",
        )


def _check_bounds(values: dict[str, Any], metric: str | None) -> None:
    """``min_metric`` / ``max_metric`` only beside a ``metric`` whose direction they fit:
    a floor for one better when higher, a ceiling for one better when lower."""
    for name, example in _BOUNDED.items():
        if values.get(name) is None:
            continue
        if metric is None:
            raise InvalidInputError(
                f"health {name} bounds the live metric that metric names, which is missing",
                hint=f'name it, e.g. {{"metric": "{example}", "{name}": {values[name]:g}}}',
                expected="metric",
                found=f"{name} alone",
            )
        fits = _BOUND[LIVE_METRICS[metric]]
        if name != fits:
            better = "higher" if LIVE_METRICS[metric] > 0 else "lower"
            raise InvalidInputError(
                f"health {name} does not fit metric {metric!r}, which is better when {better}",
                hint=f"bound {metric} with {fits}",
                expected=fits,
                found=name,
            )


def _number(values: dict[str, Any], name: str, low: float, high: float | None) -> float | None:
    value = values.get(name)
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (high is not None and value > high):
        span = f"{low:g}..{high:g}" if high is not None else f">= {low:g}"
        raise InvalidInputError(
            f"health {name} must be a number in {span}, not {value!r}",
            expected=span,
            found=repr(value),
        )
    return float(value)


@dataclass(frozen=True)
class SlotStats:
    """One model's traffic at an endpoint over ``seconds`` (summed over every process)."""

    model: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    label_n: int = 0
    label_mean: float | None = None
    compared: int = 0  # a shadow's answer rows compared with the live answers
    equal: int = 0
    metric: float | None = None  # the policy's named live metric, over metric_n labelled rows
    metric_n: int = 0

    @classmethod
    def of(cls, model: str, counts: Counts, seconds: float) -> SlotStats:
        p50, p99 = counts.quantile(0.5), counts.quantile(0.99)
        return cls(
            model,
            counts.requests,
            counts.errors,
            seconds,
            None if p50 is None else p50 * 1000,
            None if p99 is None else p99 * 1000,
            counts.label_n,
            counts.label_sum / counts.label_n if counts.label_n else None,
            counts.compared,
            counts.equal,
        )

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        """Requests per second over the window."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def agreement(self) -> float | None:
        """A shadow's share of answer rows equal to the live ones (None: none compared)."""
        return self.equal / self.compared if self.compared else None

    def to_dict(self) -> dict[str, Any]:
        extra = {"error_rate": self.error_rate, "rate": self.rate, "agreement": self.agreement}
        return {**asdict(self), **extra}


@dataclass(frozen=True)
class Breach:
    """Which policy a model breached: its threshold and the value observed."""

    policy: str
    threshold: float
    observed: float
    model: str
    window: float
    detail: str = ""

    @property
    def reason(self) -> str:
        return (
            f"{self.model}: {self.policy} {self.observed:.4g} over the last {self.window:g} s "
            f"breached the threshold {self.threshold:g}{self.detail}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reason": self.reason}


def judge(
    policy: HealthPolicy,
    stats: SlotStats,
    *,
    drift: float | None = None,
    baseline: SlotStats | None = None,
) -> Breach | None:
    """The first breach of ``policy`` by ``stats`` (None while it holds or while the slot
    answered fewer than ``min_requests``). ``drift``: the share of drifted input columns;
    ``baseline``: the live slot's stats, for ``metric_drop``."""
    if stats.requests < policy.min_requests:
        return None
    window = stats.seconds

    def breach(name: str, threshold: float, observed: float, detail: str = "") -> Breach:
        return Breach(name, threshold, observed, stats.model, window, detail)

    if policy.error_rate is not None and stats.error_rate > policy.error_rate:
        return breach("error_rate", policy.error_rate, stats.error_rate)
    if policy.p99_ms is not None and stats.p99_ms is not None and stats.p99_ms > policy.p99_ms:
        return breach("p99_ms", policy.p99_ms, stats.p99_ms)
    if policy.drift is not None and drift is not None and drift >= policy.drift:
        return breach("drift", policy.drift, drift, " (share of input columns drifted)")
    drop = _metric_drop(policy, stats, baseline)
    if policy.metric_drop is not None and drop is not None and drop > policy.metric_drop:
        assert baseline is not None  # a drop is measured against it
        named = f"{policy.metric} " if policy.metric else ""
        return breach("metric_drop", policy.metric_drop, drop, f" ({named}vs {baseline.model})")
    bound = _metric_bound(policy, stats)
    if bound is not None:
        return breach(*bound)
    agreement = stats.agreement if stats.compared >= policy.min_requests else None
    low = policy.min_agreement
    if low is not None and agreement is not None and agreement < low:
        detail = f" (share of {stats.compared} answer rows equal to the live ones)"
        return breach("min_agreement", low, agreement, detail)
    return None


def _metric_bound(policy: HealthPolicy, stats: SlotStats) -> tuple[str, float, float, str] | None:
    """The absolute bound (``min_metric`` / ``max_metric``) ``stats``' named live metric
    crossed, as (setting, threshold, observed, detail); None while it holds or while the
    model has fewer than ``min_requests`` labelled rows."""
    if policy.metric is None or stats.metric is None or stats.metric_n < policy.min_requests:
        return None
    detail = f" ({policy.metric} over {stats.metric_n} labelled rows)"
    low, high = policy.min_metric, policy.max_metric
    if low is not None and stats.metric < low:
        return "min_metric", low, stats.metric, detail
    if high is not None and stats.metric > high:
        return "max_metric", high, stats.metric, detail
    return None


def _metric_drop(
    policy: HealthPolicy, stats: SlotStats, baseline: SlotStats | None
) -> float | None:
    """How far ``stats``' live metric is worse than ``baseline``'s (None without enough
    labels on either side)."""
    if policy.metric is not None:
        if baseline is None or stats.metric is None or baseline.metric is None:
            return None
        if min(stats.metric_n, baseline.metric_n) < policy.min_requests:
            return None
        return (baseline.metric - stats.metric) * LIVE_METRICS[policy.metric]
    if baseline is None or stats.label_mean is None or baseline.label_mean is None:
        return None
    if min(stats.label_n, baseline.label_n) < policy.min_requests:
        return None
    return baseline.label_mean - stats.label_mean
