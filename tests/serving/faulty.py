"""Models that misbehave, for the automatic-rollback tests (registered with
``trusted=True``; an importable module, so cloudpickle stores them by reference)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


class Raising:
    """Raises for every row with an income (the warm-up's sample row has none)."""

    def predict(self, frame: Any) -> Any:
        if (frame["income"] != 0).any():
            raise RuntimeError("the new feature pipeline is missing")
        return np.zeros(len(frame), dtype="int64")


class Sleeping:
    """Answers after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def predict(self, frame: Any) -> Any:
        time.sleep(self.seconds)
        return np.zeros(len(frame), dtype="int64")
