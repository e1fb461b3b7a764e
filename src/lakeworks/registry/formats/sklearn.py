"""scikit-learn estimators and pipelines, saved with skops (no pickle).

skops rebuilds an object only from types it trusts. Beyond skops' default set, lakeworks
trusts scikit-learn's own internal types (``sklearn.tree._tree.Tree`` of every tree and
forest, ``sklearn.neighbors._kd_tree.KDTree``, ...: skops lists them as untrusted, which
would refuse every tree model); any other type found in the file (a custom transformer, a
function such as ``builtins.eval``) is refused unless the caller trusts it, by name
(``trusted=["mymodule.MyTransformer"]``) or all (``trusted=True``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakeworks.errors import PermissionDeniedError
from lakeworks.registry.formats.base import FormatInfo, ModelFormat, require, type_path

FILE = "model.skops"
TRUSTED_PREFIX = "sklearn."  # scikit-learn's own classes, as skops' default set has many


class SklearnFormat(ModelFormat):
    name = "sklearn"

    def detect(self, model: Any) -> bool:
        return any(c.__module__.startswith("sklearn.") for c in type(model).__mro__)

    def save(self, model: Any, folder: Path) -> FormatInfo:
        sio = require("skops.io", "skops", None)
        sio.dump(model, folder / FILE)
        return FormatInfo(self.name, FILE, {"class": type_path(model)})

    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        sio = require("skops.io", "skops", None)
        path = folder / info.file
        found = sio.get_untrusted_types(file=path)
        own = [t for t in found if t.startswith(TRUSTED_PREFIX)]
        allowed = found if trusted is True else [*own, *(trusted or [])]
        refused = sorted(set(found) - set(allowed))
        if refused:
            raise PermissionDeniedError(
                f"the skops file holds types that are not trusted by default: "
                f"{', '.join(refused)}; loading them can run their code",
                hint="if you trust them, pass trusted=[...their names...] (or trusted=True)",
                untrusted=", ".join(refused),
            )
        return sio.load(path, trusted=allowed)
