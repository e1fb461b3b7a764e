"""A generic Python model (any object with ``predict``), saved with cloudpickle.

Loading a pickle runs code from the file, so this format is used only when the caller
says ``trusted=True`` at registration, and loads only with ``trusted=True`` again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakeworks.registry.formats.base import (
    Capabilities,
    FormatInfo,
    ModelFormat,
    refuse_code,
    require,
    type_path,
)

FILE = "model.pkl"


class PythonFormat(ModelFormat):
    name = "python"
    capabilities = Capabilities(runs_code=True, native=False)

    def detect(self, model: Any) -> bool:
        return callable(getattr(model, "predict", None))

    def save(self, model: Any, folder: Path) -> FormatInfo:
        cloudpickle = require("cloudpickle", "cloudpickle", None)
        (folder / FILE).write_bytes(cloudpickle.dumps(model))
        return FormatInfo(self.name, FILE, {"class": type_path(model)})

    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        if trusted is not True:
            raise refuse_code(f"this model ({info.details.get('class')})", where="load")
        cloudpickle = require("cloudpickle", "cloudpickle", None)
        return cloudpickle.loads((folder / info.file).read_bytes())
