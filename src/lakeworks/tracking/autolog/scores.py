"""Metrics of a fitted estimator on some data, by the evaluation service
(``tracking/evaluate.py``): ``training_*`` on the training set, ``eval_*`` on a held-out
one. Classifiers get accuracy, precision, recall, F1 (and log loss, ROC AUC with
probabilities), regressors MAE, RMSE, R²; an estimator without ``predict`` or a fit
without ``y`` gets none.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from lakeworks.errors import LakeworksError
from lakeworks.tracking.autolog.models import frame

TARGET = "__lakeworks_target__"


def scores(model: Any, X: Any, y: Any, prefix: str) -> list[Any]:
    """Metric points ``<prefix>_<name>`` of ``model`` on ``(X, y)``."""
    from lakeworks.tracking.evaluate import evaluate
    from lakeworks.tracking.records import Metric

    data = frame(X)
    if y is None or data is None or not hasattr(model, "predict"):
        return []
    import numpy as np

    truth = np.asarray(y)
    if truth.ndim != 1:  # several targets: no standard metric
        return []
    features = [str(c) for c in data.columns]
    data = data.assign(**{TARGET: truth})
    try:
        evaluation = evaluate(model, data, target=TARGET, features=features)
    except (LakeworksError, ValueError) as exc:
        warnings.warn(f"autolog could not score the fit ({prefix}): {exc}", stacklevel=2)
        return []
    logged = evaluation.logged_metrics(f"{prefix}_")
    return [Metric(k, v) for k, v in logged.items() if not math.isnan(v)]
