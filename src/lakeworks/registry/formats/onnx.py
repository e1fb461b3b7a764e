"""ONNX models: a ``.onnx`` file, predicted with onnxruntime.

``save`` takes an ``onnx.ModelProto``; a scikit-learn model registered with
``format="onnx"`` is converted with skl2onnx first (``convert``). Loading gives an
``OnnxModel`` whose ``predict`` and ``predict_proba`` take a pandas frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lakeworks.errors import InvalidInputError
from lakeworks.registry.formats.base import FormatInfo, ModelFormat, require

FILE = "model.onnx"
EXTRA = "onnx"


class OnnxFormat(ModelFormat):
    name = "onnx"
    extra = EXTRA

    def detect(self, model: Any) -> bool:
        return type(model).__module__.startswith("onnx") and hasattr(model, "SerializeToString")

    def save(self, model: Any, folder: Path) -> FormatInfo:
        (folder / FILE).write_bytes(model.SerializeToString())
        return FormatInfo(self.name, FILE, {})

    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        ort = require("onnxruntime", "onnxruntime", self.extra)
        session = ort.InferenceSession(str(folder / info.file), providers=["CPUExecutionProvider"])
        return OnnxModel(session)


def convert(model: Any, columns: list[str]) -> Any:
    """A scikit-learn model as ONNX (one float input of ``len(columns)`` features)."""
    require("onnx", "onnx", EXTRA)
    skl2onnx = require("skl2onnx", "skl2onnx", EXTRA)
    from skl2onnx.common.data_types import FloatTensorType

    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    return skl2onnx.convert_sklearn(
        model, initial_types=[("input", FloatTensorType([None, len(columns)]))], options=options
    )


class OnnxModel:
    """An onnxruntime session with the predict methods the Predictor calls.

    One input of shape [rows, features] gets the columns stacked as float32; several inputs
    get one column each, by name. The first output is ``predict``; a second one (class
    probabilities, as skl2onnx writes classifiers) is ``predict_proba``.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = session.get_inputs()
        self.outputs = [o.name for o in session.get_outputs()]

    def _feed(self, frame: Any) -> dict[str, np.ndarray]:
        if len(self.inputs) == 1:
            return {self.inputs[0].name: frame.to_numpy(dtype=np.float32)}
        missing = [i.name for i in self.inputs if i.name not in frame.columns]
        if missing:
            raise InvalidInputError(f"the ONNX model's inputs {missing} are not in the data")
        return {i.name: frame[[i.name]].to_numpy() for i in self.inputs}

    def predict(self, frame: Any) -> np.ndarray:
        return np.asarray(self.session.run(self.outputs[:1], self._feed(frame))[0]).ravel()

    def predict_proba(self, frame: Any) -> np.ndarray:
        if len(self.outputs) < 2:
            raise InvalidInputError("this ONNX model has no probability output")
        return np.asarray(self.session.run(self.outputs[1:2], self._feed(frame))[0])
