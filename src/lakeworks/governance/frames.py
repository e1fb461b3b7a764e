"""Data in, model calls out: the one place governance and evaluation turn a user's data
(Arrow, pandas, Polars, a list of dicts) into the frame and arrays models take.

Models of scikit-learn, XGBoost and LightGBM take pandas frames and keep feature names,
so pandas is the frame here; nothing in this module is on a hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from lakeworks.errors import InvalidInputError, LakeworksError, UserCodeError


def to_frame(data: Any, *, what: str = "data") -> pd.DataFrame:
    """A pandas frame of ``data``: a pandas or Polars frame, an Arrow table, a list of
    dicts or a dict of columns."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):  # pyarrow.Table, polars.DataFrame
        return data.to_pandas()
    if isinstance(data, list | dict):
        return pd.DataFrame(data)
    raise InvalidInputError(
        f"{what} must be a table (Arrow, pandas, Polars, a list of dicts), "
        f"found {type(data).__name__}",
        hint="pass a pyarrow.Table, a pandas or Polars DataFrame",
        expected="table",
        found=type(data).__name__,
    )


def to_array(values: Any, *, what: str) -> np.ndarray:
    """A 1-d numpy array of a column: a list, numpy, pandas, Polars or Arrow array (an
    array of one column is flattened)."""
    if hasattr(values, "to_numpy") and not isinstance(values, pd.Series | np.ndarray):
        try:  # pyarrow.Array / ChunkedArray need zero_copy_only=False for nulls and strings
            values = values.to_numpy(zero_copy_only=False)
        except TypeError:  # polars.Series
            values = values.to_numpy()
    array = np.asarray(values, dtype=object if _has_none(values) else None)
    if array.ndim == 2 and array.shape[1] == 1:
        return array.ravel()
    if array.ndim != 1:
        raise InvalidInputError(
            f"{what} must be one value per row, found an array of shape {array.shape}",
            expected="1-d",
            found=str(array.shape),
        )
    return array


def _has_none(values: Any) -> bool:
    return isinstance(values, list) and any(v is None for v in values)


def check_no_nulls(values: np.ndarray, what: str, *, hint: str, **fields: Any) -> None:
    """An error counting the null or NaN values of a column that must have none."""
    nulls = int(pd.isna(values).sum())
    if nulls:
        raise InvalidInputError(
            f"{what} has {nulls} null or NaN value(s) in {len(values)} rows",
            hint=hint,
            found=nulls,
            **fields,
        )


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for JSON); anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def check_lengths(**arrays: Sequence[Any]) -> int:
    """The common length of ``arrays``; an error naming each length when they differ."""
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise InvalidInputError(
            f"{', '.join(lengths)} must have the same length, found {found}",
            hint="pass one value per row in each",
            found=found,
        )
    return next(iter(lengths.values()), 0)


def split(
    frame: pd.DataFrame, target: str | None, features: Sequence[str] | None, model: Any = None
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The feature frame and the target column of ``frame``.

    Features are ``features`` when given, else the names the model was fitted on
    (``feature_names_in_``) when the frame has them all, else every column but the target.
    """
    columns = [str(c) for c in frame.columns]
    if target is not None and target not in frame.columns:
        raise InvalidInputError(
            f"target column {target!r} is not in the data; its columns are {columns}",
            hint="pass target= one of the data's columns",
            column=target,
            expected=target,
            found=columns,
        )
    if features is None:
        fitted = getattr(model, "feature_names_in_", None)
        if fitted is not None and set(fitted) <= set(frame.columns):
            features = list(fitted)
        else:
            features = [c for c in frame.columns if c != target]
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"feature columns {missing} are not in the data; its columns are {columns}",
            hint="pass features= a list of the data's columns",
            expected=list(features),
            found=columns,
        )
    if target is not None and target in features:
        raise InvalidInputError(
            f"target column {target!r} is also listed as a feature",
            hint="leave the target out of features=",
            column=target,
        )
    y = frame[target] if target is not None else None
    return frame[list(features)], y


def predictor(model_or_predict: Any) -> Callable[[pd.DataFrame], Any]:
    """``model.predict`` or the callable itself; an error for anything else."""
    predict = getattr(model_or_predict, "predict", None)
    if callable(predict):
        return predict
    if callable(model_or_predict):
        return model_or_predict
    raise InvalidInputError(
        f"expected a model with .predict or a predict function, found "
        f"{type(model_or_predict).__name__}",
        hint="pass a fitted model or a function from a frame to predictions",
        expected="model or callable",
        found=type(model_or_predict).__name__,
    )


def call_model(model: Any, function: Callable[..., Any], frame: pd.DataFrame) -> np.ndarray:
    """``function(frame)`` as a numpy array; what the model raises becomes a UserCodeError."""
    with model_boundary(model, getattr(function, "__name__", "predict")):
        return np.asarray(function(model_input(model, frame)))


def model_input(model: Any, frame: pd.DataFrame) -> pd.DataFrame | np.ndarray:
    """The frame, or its values for a model fitted on an array (it warns about names)."""
    fitted_on_array = hasattr(model, "n_features_in_") and not hasattr(model, "feature_names_in_")
    return frame.to_numpy() if fitted_on_array else frame


@contextmanager
def model_boundary(model: Any, what: str) -> Iterator[None]:
    """Errors raised inside (by the model, its engine) become a UserCodeError naming it."""
    try:
        yield
    except LakeworksError:
        raise
    except Exception as exc:
        raise UserCodeError(
            f"{type(model).__name__}.{what} raised {type(exc).__name__}: {exc}",
            hint="check that the data has the columns and types the model was trained on",
            model=type(model).__name__,
        ) from exc
