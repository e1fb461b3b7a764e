"""Replacing library methods and putting them back, and telling outer fits from inner ones.

A patch swaps one attribute of a class or module (``LogisticRegression.fit``,
``xgboost.train``) for a wrapper and remembers the original, so ``restore`` puts back
exactly what was there (the function object itself, not a copy). Only attributes that an
owner defines itself are patched (a subclass inheriting ``fit`` runs its parent's patched
one), so no method is wrapped twice.

Nested fits (``GridSearchCV`` fitting many estimators, ``XGBClassifier.fit`` calling
``xgboost.train``) log once, for the outermost. The count is process-wide, not per
thread: joblib's threading backend fits the inner estimators in other threads.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Wrapper = Callable[[Callable[..., Any]], Callable[..., Any]]


class Patches:
    """The attributes autolog replaced, in the order it replaced them."""

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []

    def replace(self, owner: Any, name: str, wrap: Wrapper) -> None:
        """Set ``owner.name`` to ``wrap(original)``; ``restore`` undoes it."""
        original = vars(owner)[name]
        patched = functools.wraps(original)(wrap(original))
        patched.__lakeworks_original__ = original
        setattr(owner, name, patched)
        self._originals.append((owner, name, original))

    def replace_owners(self, classes: list[type], name: str, wrap: Wrapper) -> int:
        """Patch ``name`` where each of ``classes`` finds it: on the class itself or on the
        base it inherits it from (``GridSearchCV.fit`` is ``BaseSearchCV.fit``), each owner
        once; returns how many owners were patched."""
        owners: dict[type, None] = {}
        for cls in classes:
            owner = next((c for c in cls.__mro__ if name in vars(c)), None)
            if owner is not None and owner is not object and callable(vars(owner)[name]):
                owners[owner] = None
        for owner in owners:
            self.replace(owner, name, wrap)
        return len(owners)

    def restore(self) -> None:
        while self._originals:
            owner, name, original = self._originals.pop()
            setattr(owner, name, original)

    def __len__(self) -> int:
        return len(self._originals)


class FitDepth:
    """How many autologged fits are running in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0

    @contextmanager
    def enter(self) -> Iterator[bool]:
        """Yields True for the outermost fit (the one to log), False inside another."""
        with self._lock:
            outermost = self._depth == 0
            self._depth += 1
        try:
            yield outermost
        finally:
            with self._lock:
                self._depth -= 1
