"""The interface every model format implements, and what a saved model records about itself.

A format saves a model object into a folder of files and loads it back. Loading never runs
code stored in the files unless the format says it must (``Capabilities.runs_code``) and the
caller passed ``trusted=True``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeworks.errors import MissingDependencyError, PermissionDeniedError


@dataclass(frozen=True)
class Capabilities:
    """What a format can do, declared as data.

    runs_code: loading executes code stored in the files (pickle): only with trusted=True.
    native: the files are the library's own open format, readable without lakeworks.
    """

    runs_code: bool = False
    native: bool = True


@dataclass(frozen=True)
class FormatInfo:
    """What ``save`` wrote: the format's name, its main file, and details it needs at load
    (``details`` is JSON-ready: the wrapper class to rebuild, the output names, ...)."""

    format: str
    file: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "file": self.file, "details": dict(self.details)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormatInfo:
        return cls(data["format"], data["file"], dict(data.get("details") or {}))


class ModelFormat(ABC):
    """One way of writing a model to files. Subclasses are stateless singletons."""

    name: str
    extra: str | None = None  # the lakeworks extra that installs the library
    capabilities: Capabilities = Capabilities()

    @abstractmethod
    def detect(self, model: Any) -> bool:
        """Whether ``model`` is an object this format saves (checked without importing an
        optional library that is not installed)."""

    @abstractmethod
    def save(self, model: Any, folder: Path) -> FormatInfo:
        """Write ``model`` into ``folder`` (which exists and is empty)."""

    @abstractmethod
    def load(self, folder: Path, info: FormatInfo, trusted: bool | list[str] = False) -> Any:
        """The model saved in ``folder``; ``trusted`` as ``Registry.load`` documents it."""


def require(module: str, package: str, extra: str | None) -> Any:
    """Import an optional library, or raise MissingDependencyError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(package, extra) from None


def type_path(model: Any) -> str:
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"


def refuse_code(what: str, *, where: str) -> PermissionDeniedError:
    """The error for loading (or saving) something that runs code, saying how to opt in."""
    return PermissionDeniedError(
        f"{what} needs pickle: loading a pickle runs code from the file, which can do "
        "anything the current user can",
        hint=f"if you trust where it came from, pass trusted=True to {where}; or save the "
        "model in a safe format (skops for scikit-learn, native XGBoost/LightGBM, ONNX)",
        reason="pickle",
    )
