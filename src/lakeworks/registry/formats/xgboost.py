"""XGBoost models in XGBoost's own JSON format (``save_model``), loaded back into the same
class: the scikit-learn wrappers (XGBClassifier, XGBRegressor, ...) or a plain Booster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakeworks.errors import InvalidInputError
from lakeworks.registry.formats.base import FormatInfo, ModelFormat, require

FILE = "model.json"
_WRAPPERS = ("XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


class XGBoostFormat(ModelFormat):
    name = "xgboost"
    extra = "xgboost"

    def detect(self, model: Any) -> bool:
        return type(model).__module__.startswith("xgboost.")

    def save(self, model: Any, folder: Path) -> FormatInfo:
        require("xgboost", "xgboost-cpu", self.extra)
        model.save_model(folder / FILE)
        return FormatInfo(self.name, FILE, {"class": type(model).__name__})

    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        xgb = require("xgboost", "xgboost-cpu", self.extra)
        cls_name = info.details.get("class", "Booster")
        if cls_name not in (*_WRAPPERS, "Booster"):
            raise InvalidInputError(f"unknown XGBoost class {cls_name!r} in the model's record")
        model = getattr(xgb, cls_name)()
        model.load_model(folder / info.file)
        return model
