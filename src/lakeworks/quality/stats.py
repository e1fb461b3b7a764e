"""Checks that a Delta version's file statistics settle without reading its data.

Each add action of a Delta log carries its file's row count and, per column, the null
count, minimum and maximum. So:

- a not-null check's violating count is the sum of the null counts;
- a range check on an integer, decimal or date column passes when every file's minimum
  and maximum lie within the bounds (when one does not, the rows are counted by a scan).
  The log holds decimals as JSON floats, so their bounds are widened by more than a
  float's rounding: a decimal whose statistic equals a bound is scanned;
- a row-count check's value is the sum of the row counts.

Those checks are left out of the DuckDB scan. A ``unique`` check on one integer column is
still scanned, but ``key_range`` gives the range its keys lie in, so that the scan can
count distinct keys with a bitmap (see ``compile.summary``).

Floats are always scanned (NaN is not in the statistics but violates a range), as are
strings (their statistics may be truncated) and timestamps (truncated to milliseconds),
and any column a file has no statistics for. Only files DuckDB reads by path qualify: the
version has no deletion vectors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from lakeworks.lake.versions import add_actions
from lakeworks.quality.checks import Check

UNSETTLED = object()  # the check needs a scan
_EMPTY = object()  # bounds of a column with no non-null value
_F64 = Decimal("1e-15")  # more than the relative error of a decimal read as a float


@dataclass(frozen=True)
class Stats:
    """A version's statistics, summed over its files; None where a file lacks them.

    ``nulls[column]`` is the null count; ``bounds[column]`` is (lowest, highest) non-null
    value, ``_EMPTY`` when there is none, None when unknown or not a ranged type.
    """

    rows: int | None
    nulls: Mapping[str, int | None]
    bounds: Mapping[str, tuple[Any, Any] | object | None]


class _PerColumn(dict):
    """A column's value, computed on first ask (most columns are never asked about)."""

    def __init__(self, compute: Callable[[str], Any]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, column: str) -> Any:
        value = self[column] = self._compute(column)
        return value


def _ranged(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_date(kind)


def of(dt: DeltaTable, schema: pa.Schema) -> Stats:
    """The statistics of ``dt``'s files, for its top-level columns."""
    actions = add_actions(dt)
    found, types = set(actions.schema.names), {f.name: f.type for f in schema}

    def column(name: str) -> list[Any] | None:
        return actions.column(name).to_pylist() if name in found else None

    rows = column("num_records")
    if rows is not None and None in rows:
        rows = None

    def null_counts(name: str) -> list[int] | None:
        if rows is None or name not in types or "." in name:  # "." : ambiguous when flat
            return None
        counts = column(f"null_count.{name}")
        return None if counts is None or None in counts else counts

    def nulls(name: str) -> int | None:
        counts = null_counts(name)
        return None if counts is None else sum(counts)

    def bounds(name: str) -> tuple[Any, Any] | object | None:
        counts = null_counts(name)
        if counts is None or not _ranged(types[name]):
            return None
        return _bounds(rows, counts, column(f"min.{name}"), column(f"max.{name}"))

    return Stats(None if rows is None else sum(rows), _PerColumn(nulls), _PerColumn(bounds))


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
        nulls = stats.nulls[column]
        return UNSETTLED if nulls is None else nulls
    if check.kind == "between":
        return 0 if _inside(stats.bounds[column], check.params) else UNSETTLED
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
        text = repr(bound)  # an exponent ("1e+300") makes DuckDB read a DOUBLE instead
        return UNSETTLED if not math.isfinite(bound) or "e" in text else Decimal(text)
    return bound


BITMAP_BITS = 1 << 27  # key bitmaps of one scan stay within 16 MB
BITMAP_BITS_PER_ROW = 64  # ...and within 8 bytes a row, about what a hash table takes


def key_range(tables: list[Stats], check: Check, schema: pa.Schema) -> tuple[int, int] | None:
    """For a one-column ``unique`` on an integer column: the lowest and highest key over
    the files of ``tables`` (all of one scan), when their statistics give them and one
    bitmap per table of that width stays small (see ``compile.summary``); else None."""
    if check.kind != "unique" or len(check.columns) != 1:
        return None
    column = check.columns[0]
    at = schema.get_field_index(column)
    if at < 0 or not pa.types.is_integer(schema.field(at).type):
        return None
    ranges = [stats.bounds[column] for stats in tables]
    if any(r is None for r in ranges):
        return None
    held = [r for r in ranges if r is not _EMPTY]
    if not held:
        return None
    low, high = min(r[0] for r in held), max(r[1] for r in held)  # type: ignore[index]
    bits = (high - low + 1) * len(tables)
    rows = sum(stats.rows or 0 for stats in tables)
    if bits > min(BITMAP_BITS, BITMAP_BITS_PER_ROW * rows):
        return None
    return int(low), int(high)
