"""Checks that a Delta version's file statistics settle without reading its data.

Each add action of a Delta log carries its file's row count and, per column, the null
count, minimum and maximum. So:

- a not-null check's violating count is the sum of the null counts;
- a range check on an integer, decimal or date column passes when every file's minimum
  and maximum lie within the bounds (when one does not, the rows are counted by a scan).
  The log holds decimals as JSON floats, so their bounds are widened by more than a
  float's rounding: a decimal whose statistic equals a bound is scanned;
- a row-count check's value is the sum of the row counts.

Those checks are left out of the DuckDB scan. Floats are always scanned (NaN is not in
the statistics but violates a range), as are strings (their statistics may be truncated)
and timestamps (truncated to milliseconds), and any column a file has no statistics for.
Only files DuckDB reads by path qualify: the version has no deletion vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from lakeworks.quality.checks import Check

UNSETTLED = object()  # the check needs a scan
_EMPTY = object()  # bounds of a column with no non-null value
_F64 = Decimal("1e-15")  # more than the relative error of a decimal read as a float


@dataclass(frozen=True)
class Stats:
    """A version's statistics, summed over its files; None where a file lacks them.

    ``bounds[column]`` is (lowest, highest) non-null value, or ``_EMPTY``.
    """

    rows: int | None
    nulls: dict[str, int | None]
    bounds: dict[str, tuple[Any, Any] | object | None]


def _ranged(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_date(kind)


def of(dt: DeltaTable, schema: pa.Schema) -> Stats:
    """The statistics of ``dt``'s files, for its top-level columns."""
    actions = pa.table(dt.get_add_actions(flatten=True))
    found = set(actions.schema.names)

    def column(name: str) -> list[Any] | None:
        return actions.column(name).to_pylist() if name in found else None

    rows = column("num_records")
    nulls: dict[str, int | None] = {}
    bounds: dict[str, tuple[Any, Any] | object | None] = {}
    for field in schema:
        if "." in field.name:  # ambiguous among flattened names
            continue
        counts = column(f"null_count.{field.name}")
        known = rows is not None and counts is not None and None not in rows + counts
        nulls[field.name] = sum(counts) if known else None
        if known and _ranged(field.type):
            bounds[field.name] = _bounds(
                rows, counts, column(f"min.{field.name}"), column(f"max.{field.name}")
            )
    total = sum(rows) if rows is not None and None not in rows else None
    return Stats(total, nulls, bounds)


def _bounds(
    rows: list[int], nulls: list[int], lows: list[Any] | None, highs: list[Any] | None
) -> tuple[Any, Any] | object | None:
    """The lowest and highest value over the files that hold any non-null value."""
    holding = [i for i, (n, z) in enumerate(zip(rows, nulls, strict=True)) if n > z]
    if not holding:
        return _EMPTY
    if lows is None or highs is None:
        return None
    low, high = [lows[i] for i in holding], [highs[i] for i in holding]
    if None in low or None in high:
        return None
    least, most = min(low), max(high)
    if isinstance(least, Decimal):  # the log holds decimals as JSON floats: allow for it
        least, most = least - abs(least) * _F64, most + abs(most) * _F64
    return least, most


_KINDS = ("not_null", "between", "row_count", "row_count_anomaly")


def settles(check: Check) -> bool:
    """Whether statistics may settle ``check`` (``settle`` says if they do)."""
    return check.kind in _KINDS


def settle(stats: Stats, check: Check) -> Any:
    """The value the summary query would compute for ``check``, or ``UNSETTLED``."""
    if check.kind in ("row_count", "row_count_anomaly"):
        return UNSETTLED if stats.rows is None else stats.rows
    if len(check.columns) != 1:
        return UNSETTLED
    column = check.columns[0]
    if check.kind == "not_null":
        nulls = stats.nulls.get(column)
        return UNSETTLED if nulls is None else nulls
    if check.kind == "between":
        return 0 if _inside(stats.bounds.get(column), check.params) else UNSETTLED
    return UNSETTLED


def _inside(bounds: tuple[Any, Any] | object | None, params: dict[str, Any]) -> bool:
    """Whether every value within ``bounds`` passes the range, as DuckDB compares them."""
    if bounds is _EMPTY:
        return True
    if bounds is None:
        return False
    low, high = bounds  # type: ignore[misc]
    least, most = _exact(params.get("min")), _exact(params.get("max"))
    if least is UNSETTLED or most is UNSETTLED:
        return False
    try:
        return (least is None or low >= least) and (most is None or high <= most)
    except TypeError:  # a date bound on a number column, say: let the scan judge
        return False


def _exact(bound: Any) -> Any:
    """A bound as the literal DuckDB reads (``repr`` of a float is a DECIMAL literal)."""
    if isinstance(bound, float):
        text = repr(bound)
        return UNSETTLED if "e" in text or "n" in text else Decimal(text)
    return bound
