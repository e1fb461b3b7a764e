"""A model folder logged by MLflow (an ``MLmodel`` file beside the model's files).

Only what is safe loads without ``trusted=True``: a scikit-learn model MLflow wrote with
skops, and XGBoost's native file. A pickled flavor (MLflow's default, cloudpickle) is
refused, saying why, unless the caller trusts it; then its pickle is read with cloudpickle
(MLflow itself is never imported).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakeworks.errors import InvalidInputError
from lakeworks.registry.formats.base import (
    Capabilities,
    FormatInfo,
    ModelFormat,
    refuse_code,
    require,
)
from lakeworks.registry.formats.sklearn import SklearnFormat
from lakeworks.registry.formats.xgboost import XGBoostFormat

FILE = "MLmodel"


class MLmodelFormat(ModelFormat):
    name = "mlflow"
    capabilities = Capabilities(runs_code=True, native=False)

    def detect(self, model: Any) -> bool:
        return isinstance(model, str | Path) and (Path(model) / FILE).is_file()

    def save(self, model: Any, folder: Path) -> FormatInfo:
        import shutil

        shutil.copytree(Path(model), folder, dirs_exist_ok=True)
        return FormatInfo(self.name, FILE, describe(folder))

    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        details = describe(folder)
        kind, path = details["flavor"], folder / details["path"]
        if kind == "skops":
            return SklearnFormat().load(folder, FormatInfo("sklearn", details["path"]), trusted)
        if kind == "xgboost":
            saved = FormatInfo("xgboost", details["path"], {"class": details["class"]})
            return XGBoostFormat().load(folder, saved, trusted)
        if trusted is not True:
            raise refuse_code(f"the MLflow model ({details['flavor']} flavor)", where="load")
        cloudpickle = require("cloudpickle", "cloudpickle", None)
        return cloudpickle.loads(path.read_bytes())


def describe(folder: Path) -> dict[str, Any]:
    """Which flavor of the MLmodel file lakeworks loads, and its file: ``skops``,
    ``xgboost`` or ``pickle``."""
    import yaml

    try:
        flavors = yaml.safe_load((folder / FILE).read_text()).get("flavors") or {}
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise InvalidInputError(f"the MLmodel file in {folder} cannot be read: {exc}") from exc
    sklearn = flavors.get("sklearn")
    if sklearn and sklearn.get("serialization_format") == "skops":
        return {"flavor": "skops", "path": sklearn["pickled_model"]}
    xgb = flavors.get("xgboost")
    if xgb and xgb.get("model_format") in {"json", "ubj", "xgb"}:
        cls = str(xgb.get("model_class", "xgboost.core.Booster")).rsplit(".", 1)[-1]
        return {"flavor": "xgboost", "path": xgb["data"], "class": cls}
    pyfunc = flavors.get("python_function") or {}
    path = (sklearn or {}).get("pickled_model") or pyfunc.get("model_path") or "model.pkl"
    return {"flavor": "pickle", "path": path, "loader": pyfunc.get("loader_module")}
