"""Explanations of a model: which features matter overall, and SHAP values on a sample.

Global importance is the model's own (``feature_importances_``, ``|coef_|``) when it has
one, else scikit-learn's ``permutation_importance`` on the sample when a target is given.
SHAP values come from the tree engines themselves: XGBoost's ``pred_contribs`` and
LightGBM's ``pred_contrib`` (TreeSHAP, built in); scikit-learn trees use the ``shap``
package when it is installed (an optional extra: it brings numba and llvmlite, about
200 MB, and takes about 2 s to import).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lakeworks.errors import InvalidInputError
from lakeworks.governance.frames import model_boundary, model_input, split, to_frame

PERMUTATION_REPEATS = 5


@dataclass(frozen=True)
class ShapValues:
    """SHAP values of a sample: ``values[output][row][feature]``; per output, each row's
    values sum to the model's raw output (margin, log-odds or value) minus ``base_values``."""

    method: str
    features: tuple[str, ...]
    outputs: tuple[str, ...]  # "value" for one output, else one per class
    base_values: tuple[float, ...]
    mean_abs: dict[str, float]  # per feature, over rows and outputs, largest first
    values: list[list[list[float]]]


@dataclass(frozen=True)
class Explanation:
    """Global feature importance (largest first) and, for tree models, SHAP values."""

    model: str
    method: str  # feature_importances_ | coef_ | permutation | mean_abs_shap | none
    importance: dict[str, float]
    sample_rows: int
    shap: ShapValues | None = None
    importance_std: dict[str, float] | None = None  # permutation importance only
    notes: tuple[str, ...] = ()

    def top(self, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` most important features with their importance."""
        return list(self.importance.items())[:n]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the form the registry stores)."""
        data = asdict(self)
        data["notes"] = list(self.notes)
        if self.shap is not None:
            data["shap"]["features"] = list(self.shap.features)
            data["shap"]["outputs"] = list(self.shap.outputs)
            data["shap"]["base_values"] = list(self.shap.base_values)
        return data


def explain(
    model: Any,
    data: Any,
    *,
    sample: int = 200,
    target: str | None = None,
    features: list[str] | None = None,
) -> Explanation:
    """Explain a fitted model on (a fixed random sample of) ``data``.

    Example:
        >>> from sklearn.linear_model import LinearRegression
        >>> import pandas as pd
        >>> data = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0], "y": [0.0, 2, 4, 6]})
        >>> model = LinearRegression().fit(data[["a", "b"]], data["y"])
        >>> explanation = explain(model, data, target="y")
        >>> explanation.method, [name for name, _ in explanation.top(1)]
        ('coef_', ['a'])
    """
    if sample < 1:
        raise InvalidInputError(f"sample must be at least 1, found {sample}", found=sample)
    x, y = split(to_frame(data), target, features, model)
    if x.shape[1] == 0:
        raise InvalidInputError("no feature columns to explain", hint="pass features=[...]")
    rows = np.sort(np.random.default_rng(0).permutation(len(x))[:sample])
    x, y = x.iloc[rows], (y.iloc[rows] if y is not None else None)
    notes: list[str] = []
    shap_values = _shap(model, x, notes)
    method, importance, std = _importance(model, x, y, shap_values, notes)
    order = sorted(importance, key=lambda f: -importance[f])
    return Explanation(
        model=type(model).__name__,
        method=method,
        importance={f: importance[f] for f in order},
        sample_rows=len(x),
        shap=shap_values,
        importance_std={f: std[f] for f in order} if std else None,
        notes=tuple(notes),
    )


# global importance -----------------------------------------------------------------------
def _importance(
    model: Any, x: pd.DataFrame, y: pd.Series | None, shap: ShapValues | None, notes: list[str]
) -> tuple[str, dict[str, float], dict[str, float] | None]:
    names = [str(c) for c in x.columns]
    for attribute in ("feature_importances_", "coef_"):
        own = getattr(model, attribute, None)
        if own is None:
            continue
        own = np.abs(np.asarray(own, dtype=float))
        if own.size % len(names):
            notes.append(f"{attribute} has {own.size} values for {len(names)} features: unused")
            continue
        if attribute == "coef_":
            notes.append("|coef_| compares features only when they share one scale")
        values = own.reshape(-1, len(names)).mean(axis=0)  # coef_: the mean over classes
        return attribute, dict(zip(names, values.tolist(), strict=True)), None
    if y is not None and callable(getattr(model, "score", None)):
        return _permutation(model, x, y, names)
    if shap is not None:
        return "mean_abs_shap", dict(shap.mean_abs), None
    notes.append("no feature importance: the model has none of its own; pass target=")
    return "none", {}, None


def _permutation(
    model: Any, x: pd.DataFrame, y: pd.Series, names: list[str]
) -> tuple[str, dict[str, float], dict[str, float]]:
    from sklearn.inspection import permutation_importance

    with model_boundary(model, "permutation importance"):
        result = permutation_importance(
            model, model_input(model, x), y, n_repeats=PERMUTATION_REPEATS, random_state=0
        )
    mean = dict(zip(names, result.importances_mean.tolist(), strict=True))
    return "permutation", mean, dict(zip(names, result.importances_std.tolist(), strict=True))


# SHAP ------------------------------------------------------------------------------------
def _shap(model: Any, x: pd.DataFrame, notes: list[str]) -> ShapValues | None:
    """SHAP values from the model's tree engine; None (with a note) when there is none."""
    family = type(model).__module__.split(".")[0]
    engine = SHAP_ENGINES.get(family)
    if family == "sklearn" and not _is_sklearn_tree(model):
        engine = None
    if engine is None:
        notes.append("SHAP values are computed for tree models only (XGBoost, LightGBM, trees)")
        return None
    if family == "sklearn" and importlib.util.find_spec("shap") is None:
        notes.append("SHAP values of scikit-learn trees need shap: pip install 'lakeworks[shap]'")
        return None
    with model_boundary(model, f"SHAP values ({family})"):
        method, contribs, outputs = engine(model, x)
    return _shap_values(method, contribs, [str(c) for c in x.columns], outputs)


def _xgboost(model: Any, x: pd.DataFrame) -> tuple[str, np.ndarray, list[str]]:
    import xgboost

    booster = model.get_booster() if hasattr(model, "get_booster") else model
    matrix = xgboost.DMatrix(x, enable_categorical=True)
    contribs = booster.predict(matrix, pred_contribs=True, strict_shape=True)
    return "xgboost pred_contribs", contribs, _outputs(model, contribs.shape[1])


def _lightgbm(model: Any, x: pd.DataFrame) -> tuple[str, np.ndarray, list[str]]:
    contribs = np.asarray(model.predict(x, pred_contrib=True))
    groups = contribs.shape[1] // (x.shape[1] + 1)
    contribs = contribs.reshape(len(x), groups, x.shape[1] + 1)
    return "lightgbm pred_contrib", contribs, _outputs(model, groups)


def _shap_package(model: Any, x: pd.DataFrame) -> tuple[str, np.ndarray, list[str]]:
    import shap

    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(x))  # (rows, features[, outputs])
    if values.ndim == 2:
        values = values[:, :, None]
    values = values.transpose(0, 2, 1)  # (rows, outputs, features)
    base = np.broadcast_to(np.ravel(explainer.expected_value), values.shape[:2])
    contribs = np.concatenate([values, base[:, :, None]], axis=2)
    return "shap TreeExplainer", contribs, _outputs(model, values.shape[1])


SHAP_ENGINES: dict[str, Callable[[Any, pd.DataFrame], tuple[str, np.ndarray, list[str]]]] = {
    "xgboost": _xgboost,
    "lightgbm": _lightgbm,
    "sklearn": _shap_package,
}


def _is_sklearn_tree(model: Any) -> bool:
    """A scikit-learn model shap's TreeExplainer reads: a tree, a forest, gradient boosting."""
    from sklearn import ensemble
    from sklearn.tree import BaseDecisionTree

    trees = (
        BaseDecisionTree,
        ensemble.RandomForestClassifier,
        ensemble.RandomForestRegressor,
        ensemble.ExtraTreesClassifier,
        ensemble.ExtraTreesRegressor,
        ensemble.GradientBoostingClassifier,
        ensemble.GradientBoostingRegressor,
    )
    return isinstance(model, trees)


def _outputs(model: Any, groups: int) -> list[str]:
    classes = getattr(model, "classes_", None)
    if groups > 1 and classes is not None and len(classes) == groups:
        return [str(c) for c in classes]
    return ["value"] if groups == 1 else [str(i) for i in range(groups)]


def _shap_values(
    method: str, contribs: np.ndarray, names: list[str], outputs: list[str]
) -> ShapValues:
    """From contributions shaped (rows, outputs, features + 1), the last being the bias."""
    values, bias = contribs[:, :, :-1], contribs[:, :, -1]
    mean_abs = np.abs(values).mean(axis=(0, 1))
    order = np.argsort(-mean_abs, kind="stable")
    return ShapValues(
        method=method,
        features=tuple(names),
        outputs=tuple(outputs),
        base_values=tuple(float(b) for b in bias[0]) if len(bias) else (),
        mean_abs={names[i]: float(mean_abs[i]) for i in order},
        values=values.transpose(1, 0, 2).astype(float).tolist(),
    )
