"""Which statistic decides each column's verdict, and at what threshold.

By default the choice follows Evidently's data drift preset, so both name the same
columns drifted on the same data:

======================  ============================  =============================
reference values        numeric (> 5 distinct values)  categorical (or <= 5 values)
======================  ============================  =============================
<= 1000 (non-null)      ``ks``: p-value < 0.05         ``chisquare`` (``z`` for two
                                                       categories): p-value < 0.05
> 1000                  ``wasserstein`` (divided by    ``jensenshannon`` >= 0.1
                        the reference's std) >= 0.1
======================  ============================  =============================

A method named by the caller applies to every column; ``threshold`` then replaces its
default. ``psi`` (default threshold 0.1) is never chosen by default.
"""

from __future__ import annotations

from lakeworks.errors import InvalidInputError

SMALL_REFERENCE = 1000  # reference values up to which tests decide, above: distances
THRESHOLDS = {
    "ks": 0.05,
    "chisquare": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
METHODS = tuple(THRESHOLDS)
# the statistic (a field of drift.Statistics) each method decides on
METHOD_STATISTIC = {
    "ks": "ks_pvalue",
    "wasserstein": "wasserstein",
    "psi": "psi",
    "jensenshannon": "jensenshannon",
    "chisquare": "chisquare_pvalue",
    "z": "chisquare_pvalue",
}
P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})  # drift below the threshold
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})


def check(method: str | None, threshold: float | None) -> None:
    """Refuse an unknown method, or a threshold without the method it belongs to."""
    if method is not None and method not in THRESHOLDS:
        raise InvalidInputError(
            f"unknown drift method {method!r}",
            hint=f"use one of {list(METHODS)}, or none for the defaults",
            method=method,
        )
    if threshold is not None and method is None:
        raise InvalidInputError(
            "a drift threshold needs the method it applies to",
            hint="pass method=... with threshold=...: p-value methods (ks, chisquare, z) and "
            "distances (wasserstein, jensenshannon, psi) read thresholds differently",
            threshold=threshold,
        )
    if threshold is not None and not (threshold >= 0):
        raise InvalidInputError(
            f"a drift threshold must be a number >= 0, not {threshold!r}", threshold=threshold
        )


def default(kind: str, reference_values: int, categories: int) -> str:
    """Evidently's choice for a column of ``kind`` with ``reference_values`` non-null
    reference values and ``categories`` distinct values over both sides."""
    if reference_values <= SMALL_REFERENCE:
        if kind == "numeric":
            return "ks"
        return "z" if categories <= 2 else "chisquare"
    return "wasserstein" if kind == "numeric" else "jensenshannon"


def drifted(method: str, statistic: float, threshold: float) -> bool:
    """p-values drift below the threshold, distances at or above it."""
    if method in P_VALUE_METHODS:
        return statistic < threshold
    return statistic >= threshold
