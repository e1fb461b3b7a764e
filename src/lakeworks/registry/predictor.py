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

    @property
    def binary(self) -> bool:
        """Whether the model is a two-class classifier with ``predict_proba`` (a model
        without ``classes_`` is taken at its word until ``scores`` sees its output)."""
        classes = getattr(self.model, "classes_", None)
        return self.has_proba and (classes is None or len(classes) == 2)

    def scores(self, data: Any) -> np.ndarray | None:
        """Per row of ``data``, the positive class's probability (the second of the
        model's classes, in scikit-learn's sorted order: ``1`` of ``0/1``, ``True`` of
        ``False``), as live AUC needs; None unless the model is a binary classifier."""
        if not self.binary:
            return None
        values = np.asarray(self._call("predict_proba", self._frame(data)), dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != 2:
            return None
        return values[:, 1]

    def _frame(self, data: Any) -> Any:
        """The input as the model takes it, columns in the model's order: a numpy matrix
        for a plain scikit-learn estimator over numeric columns (a pandas round trip costs
        more than a small model's predict), else a pandas frame."""
        table = to_arrow(data)
        if self.signature is not None:
            table = self.signature.enforce(table, model=f"model {self.version.ref}")
        if _takes_matrix(self.model, table):
            return np.column_stack([c.to_numpy() for c in table.columns])
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


# estimators that select their input columns by name: always a pandas frame
_BY_NAME = ("sklearn.pipeline", "sklearn.compose")


def _takes_matrix(model: Any, table: pa.Table) -> bool:
    """Whether ``model`` (a scikit-learn estimator, not one selecting columns by name)
    gives the same answers for ``table`` as a numpy matrix: numeric columns only, in the
    order it was fitted on (its feature-name warning is silenced in ``_call``)."""
    module = type(model).__module__
    if not module.startswith("sklearn.") or module.startswith(_BY_NAME):
        return False
    if not hasattr(model, "n_features_in_") or table.num_columns != model.n_features_in_:
        return False
    names = getattr(model, "feature_names_in_", None)
    if names is not None and list(names) != table.column_names:
        return False
    return all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in table.schema.types)


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
