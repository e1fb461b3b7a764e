"""Model formats: one module per format, each a ``ModelFormat`` (``base.py``).

``for_model`` picks the format of a model object: the first of ``FORMATS`` whose
``detect`` says yes; the generic Python format is last and only used when asked for.
"""

from __future__ import annotations

from typing import Any

from lakeworks.errors import InvalidInputError
from lakeworks.registry.formats.base import Capabilities, FormatInfo, ModelFormat
from lakeworks.registry.formats.lightgbm import LightGBMFormat
from lakeworks.registry.formats.mlmodel import MLmodelFormat
from lakeworks.registry.formats.onnx import OnnxFormat
from lakeworks.registry.formats.python import PythonFormat
from lakeworks.registry.formats.sklearn import SklearnFormat
from lakeworks.registry.formats.xgboost import XGBoostFormat

# safe formats first; sklearn after xgboost/lightgbm, whose wrappers subclass sklearn's
SAFE: tuple[ModelFormat, ...] = (
    XGBoostFormat(),
    LightGBMFormat(),
    SklearnFormat(),
    OnnxFormat(),
    MLmodelFormat(),
)
FORMATS: dict[str, ModelFormat] = {f.name: f for f in (*SAFE, PythonFormat())}

__all__ = ["FORMATS", "Capabilities", "FormatInfo", "ModelFormat", "by_name", "for_model"]


def by_name(name: str) -> ModelFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown model format {name!r}",
            hint=f"use one of {', '.join(sorted(FORMATS))}",
            expected=", ".join(sorted(FORMATS)),
            found=name,
        ) from None


def for_model(model: Any, trusted: bool = False) -> ModelFormat:
    """The format that saves ``model``; a model no safe format knows needs ``trusted``."""
    for fmt in SAFE:
        if fmt.detect(model):
            return fmt
    python = FORMATS["python"]
    if not python.detect(model):
        raise InvalidInputError(
            f"cannot register a {type(model).__name__}: it is not a scikit-learn, XGBoost, "
            "LightGBM or ONNX model and has no predict method",
            found=type(model).__name__,
        )
    if trusted is not True:
        from lakeworks.registry.formats.base import refuse_code

        raise refuse_code(
            f"a {type(model).__name__} model (no safe format saves it)", where="register"
        )
    return python
