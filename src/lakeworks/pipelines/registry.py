"""Finding pipeline definitions in Python files and modules, and loading them back.

A source is stored as ``file:/abs/path.py`` or ``module:package.name``. Loading a file
executes it under a private module name (registered with cloudpickle by value, so its
functions travel to worker processes); a file is loaded again when it changes.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import cloudpickle

from lakeworks.errors import InvalidInputError, NotFoundError, UserCodeError
from lakeworks.pipelines.definitions import Pipeline

_cache: dict[str, tuple[tuple[int, int], dict[str, Pipeline]]] = {}
_lock = threading.Lock()


def source_of(target: str | Path | ModuleType) -> str:
    """The stored form of a file path, a module name or a module object."""
    if isinstance(target, ModuleType):
        file = getattr(target, "__file__", None)
        if target.__name__.startswith("lakeworks_pipeline_") and file:
            return f"file:{Path(file).resolve()}"
        return f"module:{target.__name__}"
    text = str(target)
    if text.startswith(("file:", "module:")):
        return text
    path = Path(text)
    if text.endswith(".py") or path.exists():
        if not path.is_file():
            raise NotFoundError(f"pipeline file {text!r} does not exist", path=text)
        return f"file:{path.resolve()}"
    return f"module:{text}"


def pipelines_in(source: str) -> dict[str, Pipeline]:
    """Every Pipeline defined at the top level of ``source``, by name (validated)."""
    with _lock:
        stamp = _stamp(source)
        cached = _cache.get(source)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        module = _import(source)
        found: dict[str, Pipeline] = {}
        for value in vars(module).values():
            if isinstance(value, Pipeline) and value.name not in found:
                value.validate()
                found[value.name] = value
        if not found:
            raise InvalidInputError(
                f"{source} defines no pipeline",
                hint="create one at module level: p = Pipeline('name', ...)",
                source=source,
            )
        _cache[source] = (stamp, found)
        return found


def load(source: str, name: str) -> Pipeline:
    """The pipeline ``name`` from its registered source."""
    found = pipelines_in(source)
    if name not in found:
        raise NotFoundError(
            f"{source} no longer defines pipeline {name!r}",
            hint=f"it defines {sorted(found)}; register the file again",
            pipeline=name,
        )
    return found[name]


def _stamp(source: str) -> tuple[int, int]:
    """When and how big a file was last changed: a new stamp means import it again."""
    if source.startswith("file:"):
        path = Path(source[5:])
        try:
            stat = path.stat()
        except OSError as exc:
            raise NotFoundError(f"pipeline file {path} does not exist", path=str(path)) from exc
        return stat.st_mtime_ns, stat.st_size
    return 0, 0


def _import(source: str) -> ModuleType:
    kind, _, target = source.partition(":")
    try:
        if kind == "module":
            return importlib.import_module(target)
        name = "lakeworks_pipeline_" + hashlib.sha1(target.encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(name, target)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        cloudpickle.register_pickle_by_value(module)
        return module
    except ModuleNotFoundError as exc:
        if kind == "module" and exc.name == target:
            raise NotFoundError(
                f"no module or file named {target!r}",
                hint="give a path to a .py file or an importable module name",
            ) from exc
        raise UserCodeError(f"importing {target} failed: {exc}", source=source) from exc
    except InvalidInputError:
        raise
    except Exception as exc:
        raise UserCodeError(
            f"importing {target} failed: {type(exc).__name__}: {exc}",
            hint="fix the error in the pipeline file and register it again",
            source=source,
        ) from exc
