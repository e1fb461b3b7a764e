"""Autolog: scikit-learn, XGBoost and LightGBM fits logged as runs with one call.

``ws.autolog()`` patches the libraries that are installed (``libraries=`` picks some)
until ``ws.autolog_disable()`` / ``disable()``; calling it again replaces the session.
Each fit logs its params, training metrics (and per-round evaluation for the boosting
libraries), evaluation on ``eval_data=(X, y)`` when given, and the fitted model in its
safe format with a signature (``models``) as the run's artifacts under ``model/``.

Example:
    >>> import lakeworks as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> ws = lw.connect(home="/tmp/lw-autolog-doctest")  # doctest: +SKIP
    >>> ws.autolog(experiment="iris")  # doctest: +SKIP
    >>> LogisticRegression().fit(X, y)  # doctest: +SKIP  (a run with params, metrics, model)
    >>> ws.autolog_disable()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, MissingDependencyError
from lakeworks.tracking.autolog.models import ModelWriter
from lakeworks.tracking.autolog.session import Session

if TYPE_CHECKING:
    from lakeworks.tracking.service import Tracking

__all__ = ["LIBRARIES", "Session", "current", "disable", "enable"]

# library -> (the package it needs, the lakeworks extra that installs it)
LIBRARIES = {
    "sklearn": ("sklearn", None),
    "xgboost": ("xgboost", "xgboost"),
    "lightgbm": ("lightgbm", "lightgbm"),
}

_lock = threading.Lock()
_current: Session | None = None


def enable(
    tracking: Tracking,
    ctx: Context,
    *,
    experiment: str = "default",
    eval_data: tuple[Any, Any] | None = None,
    save_model: ModelWriter | None = None,
    libraries: Sequence[str] | None = None,
) -> Session:
    """Patch ``libraries`` (default: each of ``LIBRARIES`` that is installed). Models are
    logged when a ``save_model`` writer is given (the SDK gives the registry's)."""
    global _current
    names = _libraries(libraries)
    if eval_data is not None and (not isinstance(eval_data, tuple | list) or len(eval_data) != 2):
        raise InvalidInputError(
            "autolog eval_data must be a pair (X, y) of held-out data",
            expected="(X, y)",
            found=type(eval_data).__name__,
        )
    with _lock:
        if _current is not None:
            _current.disable()
        session = Session(
            tracking,
            ctx,
            experiment=experiment,
            eval_data=tuple(eval_data) if eval_data is not None else None,
            save_model=save_model,
        )
        try:
            for name in names:
                importlib.import_module(f"lakeworks.tracking.autolog.{name}").patch(session)
                session.libraries.append(name)
        except BaseException:
            session.disable()
            raise
        _current = session
    return session


def disable() -> None:
    """Put back every method autolog patched (a no-op when it is off)."""
    global _current
    with _lock:
        if _current is not None:
            _current.disable()
            _current = None


def current() -> Session | None:
    return _current


def _libraries(libraries: Sequence[str] | None) -> list[str]:
    if libraries is None:
        return [n for n, (pkg, _) in LIBRARIES.items() if importlib.util.find_spec(pkg)]
    unknown = [n for n in libraries if n not in LIBRARIES]
    if unknown:
        raise InvalidInputError(
            f"autolog does not know the library {unknown[0]!r}",
            expected=", ".join(LIBRARIES),
            found=", ".join(unknown),
        )
    for name in libraries:
        package, extra = LIBRARIES[name]
        if importlib.util.find_spec(package) is None:
            raise MissingDependencyError(package, extra)
    return list(libraries)
