"""The fitted model as files in a safe format, and its signature.

One function writes a model (``save``) and one reads it back (``load``): skops for
scikit-learn estimators, the native JSON format for XGBoost, the native text format for
LightGBM; nothing here unpickles. ``MLmodel.json`` beside the file names the flavor, the
class and the signature (the input columns and types, the output type).

These stand in for the registry's formats and signatures (``registry/formats``,
``registry/signature.py``), which replace them when that branch lands.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from lakeworks.errors import InvalidInputError

META = "MLmodel.json"


def flavor(model: Any) -> str:
    """ "xgboost", "lightgbm" or "sklearn", from the model's class."""
    root = type(model).__module__.split(".")[0]
    return root if root in {"xgboost", "lightgbm"} else "sklearn"


def save(model: Any, folder: Path, signature: dict[str, Any] | None = None) -> Path:
    """Write ``model`` and ``MLmodel.json`` into ``folder``; returns the model file."""
    folder.mkdir(parents=True, exist_ok=True)
    kind = flavor(model)
    if kind == "sklearn":
        import skops.io

        path = folder / "model.skops"
        skops.io.dump(model, path)
    elif kind == "xgboost":
        path = folder / "model.json"
        model.save_model(path)
    else:
        path = folder / "model.txt"
        booster = getattr(model, "booster_", model)
        booster.save_model(path)
    meta = {
        "flavor": kind,
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "file": path.name,
        "signature": signature,
    }
    (folder / META).write_text(json.dumps(meta, indent=2))
    return path


def load(folder: Path) -> Any:
    """Read a model written by ``save``; scikit-learn models only with trusted types."""
    meta = json.loads((folder / META).read_text())
    path = folder / meta["file"]
    if meta["flavor"] == "sklearn":
        import skops.io

        untrusted = skops.io.get_untrusted_types(file=path)
        foreign = [t for t in untrusted if not t.startswith(("sklearn.", "numpy.", "scipy."))]
        if foreign:
            raise InvalidInputError(
                f"model {path} holds types that are not scikit-learn's: {foreign}",
                hint="load it with skops.io.load(..., trusted=[...]) after reviewing them",
                found=", ".join(foreign),
            )
        return skops.io.load(path, trusted=untrusted)
    if meta["flavor"] == "xgboost":
        module, _, name = meta["class"].rpartition(".")
        model = getattr(importlib.import_module(module), name)()
        model.load_model(path)
        return model
    import lightgbm

    return lightgbm.Booster(model_file=str(path))


def signature(X: Any, predictions: Any) -> dict[str, Any]:
    """Input columns and types of ``X`` and the type of ``predictions``, as JSON data."""
    return {"inputs": _columns(X), "outputs": _columns(predictions, "prediction")}


def _columns(data: Any, name: str = "") -> list[dict[str, str]]:
    import numpy as np
    import pyarrow as pa

    if hasattr(data, "dtypes") and hasattr(data, "columns"):  # pandas-like frame
        pairs = zip(data.columns, data.dtypes, strict=True)
        return [{"name": str(c), "type": str(t)} for c, t in pairs]
    if isinstance(data, pa.Table):
        return [{"name": f.name, "type": str(f.type)} for f in data.schema]
    array = np.asarray(data)
    if array.ndim == 1:
        return [{"name": name or "0", "type": str(array.dtype)}]
    return [{"name": f"{name}{i}", "type": str(array.dtype)} for i in range(array.shape[1])]


def named_signature(names: list[str], output: str = "float64") -> dict[str, Any]:
    """The signature of a booster trained on a Dataset/DMatrix: its feature names."""
    return {
        "inputs": [{"name": n, "type": "float64"} for n in names],
        "outputs": [{"name": "prediction", "type": output}],
    }
