"""A loaded model version: ``predict`` (and ``predict_proba``) over Arrow, pandas or Polars,
checked against the version's signature, answered in the kind of the input.

Example:
    >>> model = ws.models.load("churn@champion")  # doctest: +SKIP
    >>> model.predict(frame)  # a pandas frame in, a pandas frame out  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from lakeworks.errors import InvalidInputError, UserCodeError
from lakeworks.registry.records import ModelVersion
from lakeworks.registry.signature import Signature, to_arrow


class Predictor:
    def __init__(self, model: Any, version: ModelVersion) -> None:
        self.model = model
        self.version = version

    @property
    def signature(self) -> Signature | None:
        return self.version.signature

    @property
    def has_proba(self) -> bool:
        return callable(getattr(self.model, "predict_proba", None))

    def predict(self, data: Any) -> Any:
        """The model's predictions for ``data``, in ``data``'s kind (Arrow for a list of
        dicts): one column, named as the signature's output (default ``prediction``)."""
        frame = self._frame(data)
        values = np.asarray(self._call("predict", frame))
        names = [c.name for c in self.signature.outputs] if self.signature else []
        name = names[0] if len(names) == 1 else "prediction"
        table = _table(values, [name] if values.ndim == 1 else None)
        return _like(data, table)

    def predict_proba(self, data: Any) -> Any:
        """Class probabilities, one column per class (named by the class labels)."""
        if not self.has_proba:
            raise InvalidInputError(
                f"model {self.version.ref} ({self.version.format}) has no predict_proba",
                model=self.version.ref,
            )
        values = np.asarray(self._call("predict_proba", self._frame(data)))
        classes = getattr(self.model, "classes_", None)
        names = [str(c) for c in classes] if classes is not None else None
        return _like(data, _table(values, names))

    def _frame(self, data: Any) -> Any:
        """The input as the pandas frame the model takes, columns in the model's order."""
        table = to_arrow(data)
        if self.signature is not None:
            table = self.signature.enforce(table, model=f"model {self.version.ref}")
        return model_input(self.model, table.to_pandas())

    def _call(self, method: str, frame: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # libraries' feature-name chatter
                return getattr(self.model, method)(frame)
        except (ValueError, TypeError, KeyError) as exc:
            raise UserCodeError(
                f"model {self.version.ref} failed to {method}: {exc}",
                hint="check the input against the model's signature (`lakeworks models show`)",
                model=self.version.ref,
            ) from exc

    def __repr__(self) -> str:
        return f"<Predictor {self.version.ref} ({self.version.format})>"


def model_input(model: Any, frame: Any) -> Any:
    """The pandas ``frame``, or its values for a scikit-learn model fitted on an array
    (which warns when given column names)."""
    fitted_on_array = (
        type(model).__module__.startswith("sklearn.")
        and hasattr(model, "n_features_in_")
        and not hasattr(model, "feature_names_in_")
    )
    return frame.to_numpy() if fitted_on_array else frame


def _table(values: np.ndarray, names: list[str] | None) -> pa.Table:
    if values.ndim == 1:
        return pa.table({(names or ["prediction"])[0]: values})
    names = names if names and len(names) == values.shape[1] else None
    names = names or [f"output_{i}" for i in range(values.shape[1])]
    return pa.table({n: values[:, i] for i, n in enumerate(names)})


def _like(data: Any, table: pa.Table) -> Any:
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return table.to_pandas()
    if module == "polars":
        import polars

        return polars.from_arrow(table)
    return table
