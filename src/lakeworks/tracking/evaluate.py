"""Evaluation of a model on a table: the standard metrics, curves and confusion as data.

scikit-learn's metrics do the arithmetic; this module picks which ones apply (the kind of
problem, whether the model gives probabilities), checks the inputs and shapes the result
so it can be logged to a run, stored with a model version and read back as JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from lakeworks.errors import InvalidInputError
from lakeworks.governance.frames import (
    call_model,
    check_lengths,
    check_no_nulls,
    plain,
    predictor,
    split,
    to_array,
    to_frame,
)

Kind = Literal["classification", "regression"]
KINDS = ("classification", "regression")
CURVE_POINTS = 200  # curves are downsampled to at most this many points
RESIDUAL_SAMPLE = 200
MAX_INFERRED_CLASSES = 20  # an integer target with more distinct values is a regression


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one model on one data set.

    ``curves`` maps ``"roc"`` (fpr, tpr, thresholds) and ``"precision_recall"`` (precision,
    recall, thresholds) to equal-length lists, binary only; a multiclass evaluation has one
    pair per class, one-vs-rest (``"roc/<label>"``). The ROC curve's first threshold is
    infinite (the point where nothing is predicted positive): ``to_dict`` writes it null.
    """

    kind: Kind
    target: str
    rows: int
    metrics: dict[str, float]
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    confusion_matrix: dict[str, list[Any]] | None = None  # {"labels": [...], "matrix": ...}
    residuals: dict[str, Any] | None = None  # regression: summary and a sample
    positive_label: Any = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: numpy scalars become Python ones, NaN and infinity null."""
        return _json_safe(
            {
                "kind": self.kind,
                "target": self.target,
                "rows": self.rows,
                "metrics": self.metrics,
                "curves": self.curves,
                "confusion_matrix": self.confusion_matrix,
                "residuals": self.residuals,
                "positive_label": self.positive_label,
                "notes": list(self.notes),
            }
        )

    def logged_metrics(self, prefix: str = "eval_") -> dict[str, float]:
        """The metrics under the names a run logs them as (``eval_accuracy``, ...)."""
        return {f"{prefix}{name}": value for name, value in self.metrics.items()}


def evaluate(
    model_or_predict: Any,
    data: Any,
    *,
    target: str,
    kind: Kind | None = None,
    positive_label: Any = None,
    features: list[str] | None = None,
) -> Evaluation:
    """Evaluate a fitted model (or a predict function) on ``data``.

    ``data`` is an Arrow table, a pandas or Polars frame. The model sees ``features`` (by
    default the columns it was fitted on, else every column but ``target``). ``kind`` is
    inferred when not given: the model's own type (classifier or regressor), else the
    target's type (labels, booleans or at most 20 distinct integers: classification;
    floats or more integers: regression).
    Log loss and ROC AUC need ``predict_proba``; without it they are left out with a note.
    ``positive_label`` (binary) defaults to the larger label (1, True, "yes").

    Example:
        >>> import pandas as pd
        >>> data = pd.DataFrame({"x": [0, 1, 2, 3], "y": [0, 0, 1, 1]})
        >>> ev = evaluate(lambda X: (X["x"] > 0).astype(int), data, target="y")
        >>> ev.kind, ev.metrics["accuracy"], ev.metrics["precision"]
        ('classification', 0.75, 0.6666666666666666)
    """
    frame = to_frame(data)
    x, y = split(frame, target, features, model_or_predict)
    truth = y.to_numpy()
    _check_target(truth, target)
    kind = kind or infer_kind(model_or_predict, truth)
    if kind not in KINDS:
        raise InvalidInputError(
            f"kind must be one of {list(KINDS)}, found {kind!r}", expected=KINDS, found=kind
        )
    predicted = call_model(model_or_predict, predictor(model_or_predict), x)
    predicted = to_array(predicted, what="the model's predictions")
    check_lengths(target=truth, predictions=predicted)
    if kind == "regression":
        return _regression(truth, predicted, target)
    return _classification(model_or_predict, x, truth, predicted, target, positive_label)


def infer_kind(model: Any, truth: np.ndarray) -> Kind:
    """Classification or regression, from the model's type, else from the target values."""
    tags = getattr(model, "__sklearn_tags__", None)
    estimator_type = getattr(tags(), "estimator_type", None) if callable(tags) else None
    if estimator_type == "classifier":
        return "classification"
    if estimator_type == "regressor":
        return "regression"
    if not pd.api.types.is_numeric_dtype(truth.dtype) or truth.dtype == bool:
        return "classification"
    if pd.api.types.is_float_dtype(truth.dtype):
        return "regression"
    return "classification" if len(np.unique(truth)) <= MAX_INFERRED_CLASSES else "regression"


def _check_target(truth: np.ndarray, target: str) -> None:
    if len(truth) == 0:
        raise InvalidInputError("no rows to evaluate on", expected=">= 1 row", found=0)
    check_no_nulls(
        truth,
        f"target column {target!r}",
        hint="drop or fill the rows without a target before evaluating",
        column=target,
    )


# classification --------------------------------------------------------------------------
def _classification(
    model: Any, x: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, target: str, pos: Any
) -> Evaluation:
    classes = _labels(truth, f"target column {target!r}")
    if len(classes) < 2:
        raise InvalidInputError(
            f"target column {target!r} has a single class {plain(classes[0])!r}; "
            "classification metrics need at least two",
            hint="evaluate on data with both outcomes, or pass kind='regression'",
            column=target,
            found=plain(classes[0]),
        )
    labels = _labels(np.concatenate([truth, predicted]), "the target and the predictions")
    proba, notes = _probabilities(model, x, classes)
    if len(labels) == 2:
        pos = _positive(labels, pos, notes)
        metrics, curves = _binary(truth, predicted, proba, pos)
    else:
        metrics, curves = _multiclass(truth, predicted, proba, notes)
        pos = None
    matrix = skm.confusion_matrix(truth, predicted, labels=labels)
    return Evaluation(
        kind="classification",
        target=target,
        rows=len(truth),
        metrics=metrics,
        curves=curves,
        confusion_matrix={"labels": [plain(v) for v in labels], "matrix": matrix.tolist()},
        positive_label=plain(pos),
        notes=tuple(notes),
    )


def _labels(values: np.ndarray, what: str) -> list[Any]:
    try:
        return sorted(pd.unique(values).tolist())
    except TypeError as exc:
        kinds = sorted({type(v).__name__ for v in values.tolist()})
        raise InvalidInputError(
            f"{what}: labels of types {kinds} are mixed; they must be all numbers or all text",
            hint="cast the target (or the model's output) to one type",
            found=kinds,
        ) from exc


def _positive(labels: list[Any], pos: Any, notes: list[str]) -> Any:
    if pos is None:
        if labels != [0, 1]:  # also [False, True]
            notes.append(f"positive label defaulted to {plain(labels[-1])!r}, the larger label")
        return labels[-1]
    if pos not in labels:
        raise InvalidInputError(
            f"positive_label {pos!r} is not among the labels {[plain(v) for v in labels]}",
            hint="pass positive_label= one of the target's labels",
            expected=[str(v) for v in labels],
            found=str(pos),
        )
    return pos


def _probabilities(
    model: Any, x: pd.DataFrame, classes: list[Any]
) -> tuple[pd.DataFrame | None, list[str]]:
    """The model's class probabilities, one column per class, or None with the reason."""
    predict_proba = getattr(model, "predict_proba", None)
    if not callable(predict_proba):
        return None, ["log_loss and roc_auc left out: the model has no predict_proba"]
    proba = call_model(model, predict_proba, x)
    model_classes = list(getattr(model, "classes_", classes))
    if proba.ndim != 2 or proba.shape[1] != len(model_classes):
        return None, [f"log_loss and roc_auc left out: predict_proba gave shape {proba.shape}"]
    unseen = [c for c in classes if c not in model_classes]
    if unseen:
        return None, [
            f"log_loss and roc_auc left out: the model never saw labels {unseen} of the target"
        ]
    return pd.DataFrame(proba, columns=model_classes), []


def _binary(
    truth: np.ndarray, predicted: np.ndarray, proba: pd.DataFrame | None, pos: Any
) -> tuple[dict[str, float], dict[str, dict[str, list[float]]]]:
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        truth, predicted, pos_label=pos, average="binary", zero_division=0.0
    )
    metrics = {
        "accuracy": skm.accuracy_score(truth, predicted),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    if proba is None:
        return _floats(metrics), {}
    areas, curves = _ranking(truth == pos, proba[pos].to_numpy(), "")
    metrics |= areas
    metrics["log_loss"] = skm.log_loss(truth, proba.to_numpy(), labels=list(proba.columns))
    return _floats(metrics), curves


def _multiclass(
    truth: np.ndarray, predicted: np.ndarray, proba: pd.DataFrame | None, notes: list[str]
) -> tuple[dict[str, float], dict[str, dict[str, list[float]]]]:
    metrics = {"accuracy": skm.accuracy_score(truth, predicted)}
    for average in ("macro", "weighted"):
        scores = skm.precision_recall_fscore_support(
            truth, predicted, average=average, zero_division=0.0
        )
        for name, score in zip(("precision", "recall", "f1"), scores, strict=False):
            metrics[f"{name}_{average}"] = score
    if proba is None:
        return _floats(metrics), {}
    curves: dict[str, dict[str, list[float]]] = {}
    areas = []
    for label in proba.columns:
        if (truth == label).any():
            area, curve = _ranking(truth == label, proba[label].to_numpy(), f"/{plain(label)}")
            areas.append(area["roc_auc"])
            curves |= curve
        else:
            notes.append(f"class {plain(label)!r} has no rows: left out of roc_auc_ovr")
    metrics["roc_auc_ovr"] = float(np.mean(areas))  # one-vs-rest, macro: as scikit-learn's
    metrics["log_loss"] = skm.log_loss(truth, proba.to_numpy(), labels=list(proba.columns))
    return _floats(metrics), curves


def _ranking(
    is_pos: np.ndarray, score: np.ndarray, suffix: str
) -> tuple[dict[str, float], dict[str, dict[str, list[float]]]]:
    """ROC and precision-recall curves of a score, and the areas under them computed from
    the curves (``roc_auc_score`` and ``average_precision_score`` would sort again)."""
    fpr, tpr, roc_thresholds = skm.roc_curve(is_pos, score)
    precision, recall, pr_thresholds = skm.precision_recall_curve(is_pos, score)
    areas = {
        "roc_auc": skm.auc(fpr, tpr),
        "average_precision": -np.sum(np.diff(recall) * precision[:-1]),  # sklearn's step sum
    }
    # the last (precision 1, recall 0) point has no threshold: dropped so lists align
    curves = {
        f"roc{suffix}": _downsample(fpr=fpr, tpr=tpr, thresholds=roc_thresholds),
        f"precision_recall{suffix}": _downsample(
            precision=precision[:-1], recall=recall[:-1], thresholds=pr_thresholds
        ),
    }
    return areas, curves


def _downsample(**columns: np.ndarray) -> dict[str, list[float]]:
    """At most CURVE_POINTS evenly spaced points, always keeping the first and the last."""
    n = len(next(iter(columns.values())))
    keep = np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int))
    return {name: values[keep].astype(float).tolist() for name, values in columns.items()}


# regression ------------------------------------------------------------------------------
def _regression(truth: np.ndarray, predicted: np.ndarray, target: str) -> Evaluation:
    truth = _numbers(truth, f"target column {target!r}")
    predicted = _numbers(predicted, "the model's predictions")
    if len(truth) < 2:
        raise InvalidInputError(
            f"regression metrics need at least 2 rows, found {len(truth)}",
            expected=">= 2 rows",
            found=len(truth),
        )
    residual = truth - predicted
    metrics = {
        "mae": skm.mean_absolute_error(truth, predicted),
        "mse": skm.mean_squared_error(truth, predicted),
        "rmse": skm.root_mean_squared_error(truth, predicted),
        "r2": skm.r2_score(truth, predicted),
        "max_error": float(np.max(np.abs(residual))),
    }
    return Evaluation(
        kind="regression",
        target=target,
        rows=len(truth),
        metrics=_floats(metrics),
        residuals=_residuals(truth, predicted, residual),
    )


def _numbers(values: np.ndarray, what: str) -> np.ndarray:
    try:
        numbers = values.astype(float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"{what} must be numbers for a regression, found {values.dtype} values",
            hint="pass kind='classification' for labels",
            found=str(values.dtype),
        ) from exc
    bad = int((~np.isfinite(numbers)).sum())
    if bad:
        raise InvalidInputError(
            f"{what} has {bad} NaN or infinite value(s)", hint="fix them first", found=bad
        )
    return numbers


def _residuals(truth: np.ndarray, predicted: np.ndarray, residual: np.ndarray) -> dict[str, Any]:
    """Residual (true - predicted) quantiles, and a fixed sample of rows to plot."""
    quantiles = np.quantile(residual, [0.05, 0.25, 0.5, 0.75, 0.95])
    rows = np.random.default_rng(0).permutation(len(truth))[:RESIDUAL_SAMPLE]
    rows.sort()
    return {
        "mean": float(residual.mean()),
        "std": float(residual.std()),
        "min": float(residual.min()),
        "max": float(residual.max()),
        **{f"p{q}": float(v) for q, v in zip((5, 25, 50, 75, 95), quantiles, strict=True)},
        "sample": {
            "row": rows.tolist(),
            "y_true": truth[rows].tolist(),
            "y_pred": predicted[rows].tolist(),
            "residual": residual[rows].tolist(),
        },
    }


# JSON ------------------------------------------------------------------------------------
def _floats(metrics: dict[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in metrics.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
