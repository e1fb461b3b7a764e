"""The drift report: per column the statistics, the deciding method, its threshold and the
verdict; over all columns the share that drifted and the overall verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what it was (``orders@v3``, ``arrow table``) and its rows.

    ``version`` is the table version read, None for data passed in memory.
    """

    source: str
    rows: int
    table: str | None = None
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "table": self.table,
            "version": self.version,
        }


@dataclass(frozen=True)
class ColumnDrift:
    """The verdict on one column.

    ``statistic`` is the value ``method`` decides on: a p-value (``ks``, ``chisquare``,
    ``z``: drift when below ``threshold``) or a distance (``wasserstein``, ``psi``,
    ``jensenshannon``: drift at or above it). ``stats`` holds every statistic computed for
    the column's kind. ``reference_nulls`` / ``current_nulls`` are the shares of null (or
    NaN) values, left out of every statistic.
    """

    column: str
    kind: str  # numeric or categorical
    method: str
    statistic: float | None
    threshold: float
    drifted: bool
    stats: dict[str, float | None]
    reference_nulls: float
    current_nulls: float
    reference_type: str
    current_type: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": _finite(self.statistic),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "stats": {k: _finite(v) for k, v in self.stats.items()},
            "reference_nulls": self.reference_nulls,
            "current_nulls": self.current_nulls,
            "reference_type": self.reference_type,
            "current_type": self.current_type,
            "note": self.note,
        }


@dataclass(frozen=True)
class DriftReport:
    """Which columns drifted between a reference and a current sample.

    ``drifted`` is the overall verdict: at least ``drift_share`` of the compared columns
    drifted (Evidently's dataset drift rule, 0.5 by default). ``skipped`` names columns
    left out (types with no distribution to compare: lists, structs, binary) and why.
    """

    reference: Side
    current: Side
    columns: tuple[ColumnDrift, ...]
    drift_share: float
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def share(self) -> float:
        """The share of compared columns that drifted (0 when none was compared)."""
        return len(self.drifted_columns) / len(self.columns) if self.columns else 0.0

    @property
    def drifted(self) -> bool:
        return bool(self.columns) and self.share >= self.drift_share

    def __getitem__(self, column: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == column:
                return c
        raise KeyError(column)

    def summary(self) -> str:
        """One line: the verdict and the drifted columns."""
        verdict = "drift" if self.drifted else "no drift"
        names = ", ".join(self.drifted_columns) or "none"
        return (
            f"{verdict}: {len(self.drifted_columns)} of {len(self.columns)} columns drifted "
            f"({self.share:.0%}, threshold {self.drift_share:.0%}) between "
            f"{self.reference.source} and {self.current.source}: {names}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: no NaN or infinity (they become null)."""
        return {
            "reference": self.reference.to_dict(),
            "current": self.current.to_dict(),
            "drifted": self.drifted,
            "share": self.share,
            "drift_share": self.drift_share,
            "drifted_columns": self.drifted_columns,
            "columns": [c.to_dict() for c in self.columns],
            "skipped": dict(self.skipped),
        }


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None
