"""LightGBM models in LightGBM's own text format. A scikit-learn wrapper (LGBMClassifier,
LGBMRegressor) is loaded back as the wrapper: its booster from the text file, its classes
and feature names from the version's record, so ``predict`` returns labels as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lakeworks.errors import InvalidInputError
from lakeworks.registry.formats.base import FormatInfo, ModelFormat, require

FILE = "model.txt"
_WRAPPERS = ("LGBMClassifier", "LGBMRegressor", "LGBMRanker")


class LightGBMFormat(ModelFormat):
    name = "lightgbm"
    extra = "lightgbm"

    def detect(self, model: Any) -> bool:
        return type(model).__module__.startswith("lightgbm.")

    def save(self, model: Any, folder: Path) -> FormatInfo:
        require("lightgbm", "lightgbm", self.extra)
        booster = getattr(model, "booster_", model)
        booster.save_model(str(folder / FILE))
        details: dict[str, Any] = {"class": type(model).__name__}
        if hasattr(model, "classes_"):
            details["classes"] = np.asarray(model.classes_).tolist()
        return FormatInfo(self.name, FILE, details)

    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        lgb = require("lightgbm", "lightgbm", self.extra)
        booster = lgb.Booster(model_file=str(folder / info.file))
        cls_name = info.details.get("class", "Booster")
        if cls_name == "Booster":
            return booster
        if cls_name not in _WRAPPERS:
            raise InvalidInputError(f"unknown LightGBM class {cls_name!r} in the model's record")
        return _wrapper(getattr(lgb, cls_name)(), booster, info.details.get("classes"))


def _wrapper(model: Any, booster: Any, classes: list[Any] | None) -> Any:
    """A fitted scikit-learn wrapper around ``booster``: the attributes LightGBM's ``fit``
    sets (pinned by the registry's round-trip tests, as they are LightGBM's internals)."""
    names = booster.feature_name()
    model._Booster = booster
    model.fitted_ = True
    model._n_features = model._n_features_in = booster.num_feature()
    model._fitted_with_feature_names = any(not n.startswith("Column_") for n in names)
    model._feature_name = names
    model._best_iteration = booster.best_iteration
    model._best_score, model._evals_result = {}, {}
    model._objective = booster.params.get("objective")
    if classes is not None:
        from sklearn.preprocessing import LabelEncoder

        model._le = LabelEncoder().fit(np.asarray(classes))
        model._classes = model._le.classes_
        model._n_classes = len(classes)
        model._class_map = {c: i for i, c in enumerate(model._classes)}
    return model
