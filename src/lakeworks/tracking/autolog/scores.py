"""Metrics of a fitted estimator on some data: on the training set (``training_*``) and on
a held-out set (``eval_*``).

Classifiers get accuracy, precision, recall and F1 (weighted over classes), and log loss
and ROC AUC when they give probabilities; regressors get MAE, RMSE and R²; anything else
with a ``score`` method, its score. The evaluation service (``tracking/evaluate.py``)
takes over the held-out set when it lands.
"""

from __future__ import annotations

import math
from typing import Any


def scores(model: Any, X: Any, y: Any, prefix: str) -> list[Any]:
    """Metric points ``<prefix>_<name>`` of ``model`` on ``(X, y)`` (none without y)."""
    from lakeworks.tracking.records import Metric

    if y is None or not hasattr(model, "predict"):
        return []
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(model):
        values = _classifier(model, X, y)
    elif is_regressor(model):
        values = _regressor(model.predict(X), y)
    elif hasattr(model, "score"):
        values = {"score": float(model.score(X, y))}
    else:
        values = {}
    return [Metric(f"{prefix}_{k}", v) for k, v in values.items() if not math.isnan(v)]


def _classifier(model: Any, X: Any, y: Any) -> dict[str, float]:
    from sklearn import metrics

    predicted = model.predict(X)
    values = {
        "accuracy": metrics.accuracy_score(y, predicted),
        "precision": metrics.precision_score(y, predicted, average="weighted", zero_division=0),
        "recall": metrics.recall_score(y, predicted, average="weighted", zero_division=0),
        "f1": metrics.f1_score(y, predicted, average="weighted", zero_division=0),
    }
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        classes = getattr(model, "classes_", None)
        values["log_loss"] = metrics.log_loss(y, proba, labels=classes)
        if proba.shape[1] == 2:
            values["roc_auc"] = metrics.roc_auc_score(y, proba[:, 1])
    return {k: float(v) for k, v in values.items()}


def _regressor(predicted: Any, y: Any) -> dict[str, float]:
    from sklearn import metrics

    return {
        "mae": float(metrics.mean_absolute_error(y, predicted)),
        "rmse": float(math.sqrt(metrics.mean_squared_error(y, predicted))),
        "r2": float(metrics.r2_score(y, predicted)),
    }
