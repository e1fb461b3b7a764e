"""What autolog says about a fitted model: its library, its training data as a frame, and
the signature of a booster trained on a DMatrix or Dataset (no frame to infer it from).

The model's files are written by the registry's formats (skops, XGBoost JSON, LightGBM
text), handed to the session by the SDK as its ``ModelWriter``: tracking sits below the
registry and never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class ModelWriter(Protocol):
    """Writes ``model`` into ``folder`` in its safe format with its signature (given, or
    inferred from ``training_data``) and a ``lakeworks.json`` the registry reads back."""

    def __call__(
        self, model: Any, folder: Path, training_data: Any, signature: dict[str, Any] | None
    ) -> None: ...


def flavor(model: Any) -> str:
    """ "xgboost", "lightgbm" or "sklearn", from the model's class."""
    root = type(model).__module__.split(".")[0]
    return root if root in {"xgboost", "lightgbm"} else "sklearn"


def frame(X: Any) -> Any:
    """``X`` as a pandas frame (an array's columns named "0", "1", ...), or None."""
    if X is None or hasattr(X, "columns"):
        return X
    import numpy as np
    import pandas as pd

    array = np.asarray(X)
    if array.ndim != 2:
        return None
    return pd.DataFrame(array, columns=[str(i) for i in range(array.shape[1])])


def named_signature(names: list[str]) -> dict[str, Any]:
    """The signature of a booster trained on a DMatrix/Dataset: its feature names, doubles
    in, a double out."""
    return {
        "inputs": [{"name": n, "type": "double"} for n in names],
        "outputs": [{"name": "prediction", "type": "double"}],
    }
