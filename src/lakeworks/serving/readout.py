"""Model metrics once labels arrive, and the A/B read-out between two variants.

A logged prediction row meets its label by (request id, row); the latest label wins.
Classifiers (a model with ``predict_proba``, or labels that are not numbers) get accuracy,
and AUC when the output carries a ``probability`` or ``score`` and the labels are binary;
regressors get RMSE and MAE.

The A/B read-out compares the candidate against the live variant: for classifiers the
difference of accuracies with a Wald confidence interval and the two-proportion z-test;
for regressors the difference of mean absolute errors with Welch's t-test and its
interval (``scipy.stats.ttest_ind(equal_var=False)``).

Example:
    >>> metrics_of([1, 0, 1, 1], [1, 0, 0, 1], classifier=True)["accuracy"]
    0.75
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

SCORE_FIELDS = ("probability", "score")


@dataclass(frozen=True)
class Labeled:
    """One slot's labeled rows: what the model answered and the truth."""

    predictions: list[Any] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)


@dataclass(frozen=True)
class ModelMetrics:
    """A slot of the current configuration over a window: the model version it holds, the
    rows it answered, how many have a label, and the metrics over those."""

    slot: str
    model: str
    predictions: int
    labeled: int
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "model": self.model,
            "predictions": self.predictions,
            "labeled": self.labeled,
            "metrics": dict(self.metrics),
        }


@dataclass(frozen=True)
class ABReadout:
    """Candidate minus live: ``difference`` with its ``confidence`` interval and p-value
    (None with ``note`` saying why while either side has too few labels)."""

    endpoint: str
    window: str
    metric: str
    test: str
    variants: tuple[ModelMetrics, ...]
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    confidence: float
    note: str | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 1 - self.confidence

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "window": self.window,
            "metric": self.metric,
            "test": self.test,
            "variants": [v.to_dict() for v in self.variants],
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "confidence": self.confidence,
            "significant": self.significant,
            "note": self.note,
        }


def is_classifier(has_proba: bool, labels: list[Any]) -> bool:
    return has_proba or any(isinstance(v, str | bool) for v in labels)


def metrics_of(
    predictions: list[Any],
    labels: list[Any],
    *,
    classifier: bool,
    scores: list[float | None] | None = None,
) -> dict[str, float]:
    """Accuracy (and AUC) or RMSE and MAE of ``predictions`` against ``labels``."""
    if not labels:
        return {}
    if classifier:
        found = {"accuracy": float(np.mean(_hits(predictions, labels)))}
        auc = _auc(labels, scores or [])
        return found | ({"auc": auc} if auc is not None else {})
    errors = _errors(predictions, labels)
    return {"rmse": float(np.sqrt(np.mean(errors**2))), "mae": float(np.mean(np.abs(errors)))}


def _hits(predictions: list[Any], labels: list[Any]) -> np.ndarray:
    return np.array([p == y for p, y in zip(predictions, labels, strict=True)], dtype=np.float64)


def _errors(predictions: list[Any], labels: list[Any]) -> np.ndarray:
    pairs = [(p, y) for p, y in zip(predictions, labels, strict=True) if p is not None]
    return np.array([float(p) - float(y) for p, y in pairs], dtype=np.float64)


def _auc(labels: list[Any], scores: list[float | None]) -> float | None:
    """The area under the ROC curve of binary labels (Mann-Whitney, equal to scikit-learn's
    ``roc_auc_score``) over the rows that have a score (a row the model failed has none)."""
    if len(scores) != len(labels):
        return None
    pairs = [(y, s) for y, s in zip(labels, scores, strict=True) if s is not None]
    labels, scores = [y for y, _ in pairs], [s for _, s in pairs]
    if len(set(labels)) != 2:
        return None
    positive = max(set(labels), key=_order)
    truth = np.array([y == positive for y in labels])
    ranks = stats.rankdata(np.array(scores, dtype=np.float64))
    n_pos = int(truth.sum())
    n_neg = len(truth) - n_pos
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float | bool) else (1, str(value))


def compare(
    live: Labeled, candidate: Labeled, *, classifier: bool, confidence: float
) -> tuple[str, str, float | None, float | None, float | None, float | None, str | None]:
    """(metric, test, difference, low, high, p-value, note): candidate minus live."""
    if classifier:
        metric, test = "accuracy", "two-proportion z-test"
        a = _hits(live.predictions, live.labels)
        b = _hits(candidate.predictions, candidate.labels)
    else:
        metric, test = "mae", "Welch t-test"
        a = np.abs(_errors(live.predictions, live.labels))
        b = np.abs(_errors(candidate.predictions, candidate.labels))
    if len(a) < 2 or len(b) < 2:
        note = f"needs at least 2 labeled rows per variant, found {len(a)} and {len(b)}"
        return metric, test, None, None, None, None, note
    if classifier:
        return metric, test, *_proportions(a, b, confidence), None
    return metric, test, *_welch(a, b, confidence), None


def _proportions(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, ...]:
    """Difference of two proportions, its Wald interval and the pooled z-test p-value."""
    p1, p2, n1, n2 = a.mean(), b.mean(), len(a), len(b)
    difference = float(p2 - p1)
    spread = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    pooled = (a.sum() + b.sum()) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(difference) / se))
    return difference, difference - z * spread, difference + z * spread, p_value


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, ...]:
    """Difference of means, Welch's interval and p-value."""
    difference = float(b.mean() - a.mean())
    if np.var(a) == 0 and np.var(b) == 0:
        return difference, difference, difference, 1.0 if difference == 0 else 0.0
    result = stats.ttest_ind(b, a, equal_var=False)
    interval = result.confidence_interval(confidence)
    return difference, float(interval.low), float(interval.high), float(result.pvalue)
