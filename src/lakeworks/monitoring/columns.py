"""One column of each side in, one ``ColumnDrift`` out: kinds, nulls, statistics, verdict.

Numbers (integers, floats, decimals) and times (dates, timestamps, durations, as their
integer ticks) are numeric; strings, booleans and dictionaries are categorical. Nulls,
NaN and infinities are left out of the statistics (as Evidently does) and reported as
the null share of each side.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.errors import InvalidInputError, SchemaMismatchError
from lakeworks.monitoring import drift, methods
from lakeworks.monitoring.report import ColumnDrift


def kind_of(t: pa.DataType) -> str | None:
    """``numeric``, ``categorical``, or None for types without a distribution to compare."""
    if pa.types.is_boolean(t) or pa.types.is_dictionary(t):
        return "categorical"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_temporal(t):
        return "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "categorical"
    return None


def check_kinds(column: str, reference: pa.DataType, current: pa.DataType) -> str:
    """The kind both sides share, or a SchemaMismatchError naming both types."""
    kind, other = kind_of(reference), kind_of(current)
    if kind is None:
        raise InvalidInputError(
            f"column {column!r} has type {reference}, which has no distribution to compare",
            hint="compare numbers, times, strings or booleans",
            column=column,
            found=str(reference),
        )
    if kind != other:
        raise SchemaMismatchError(
            f"column {column!r} is {reference} in the reference but {current} in the current data",
            hint="cast one side so both hold numbers, or both hold categories",
            column=column,
            expected=str(reference),
            found=str(current),
        )
    return kind


def compare(
    column: str,
    reference: pa.ChunkedArray,
    current: pa.ChunkedArray,
    method: str | None,
    threshold: float | None,
) -> ColumnDrift:
    """The verdict on one column; ``method`` None picks Evidently's default for it."""
    kind = check_kinds(column, reference.type, current.type)
    ref, ref_nulls = _values(reference, kind)
    cur, cur_nulls = _values(current, kind)
    types = (str(reference.type), str(current.type))
    if len(ref) == 0 or len(cur) == 0:
        return _without_values(column, kind, ref, cur, (ref_nulls, cur_nulls), types)
    if kind == "numeric":
        few = drift.FEW_INTEGERS if pa.types.is_integer(reference.type) else drift.FEW_VALUES
        few = 0 if method in methods.NUMERIC_ONLY else few
        stats = drift.numeric(ref, cur, few)
    else:
        stats = drift.categorical_arrays(ref, cur)
    chosen = method or methods.default(stats.kind, len(ref), stats.values)
    statistic = stats.get(chosen)
    if statistic is None:
        raise InvalidInputError(
            f"drift method {chosen!r} compares categories, but column {column!r} is numeric "
            f"with {stats.values} distinct values",
            hint="use ks, wasserstein or psi for numeric columns",
            column=column,
            method=chosen,
        )
    limit = methods.THRESHOLDS[chosen] if threshold is None else threshold
    return ColumnDrift(
        column=column,
        kind=stats.kind,
        method=chosen,
        statistic=statistic,
        threshold=limit,
        drifted=methods.drifted(chosen, statistic, limit),
        stats=_stats(stats),
        reference_nulls=ref_nulls,
        current_nulls=cur_nulls,
        reference_type=types[0],
        current_type=types[1],
    )


def _values(data: pa.ChunkedArray, kind: str) -> tuple[np.ndarray | pa.Array, float]:
    """The non-null values (float64 for numbers) and the share of values left out."""
    rows = len(data)
    present = pc.drop_null(data)
    if kind == "categorical":
        values = present.combine_chunks() if present.num_chunks else pa.array([], data.type)
        return values, (rows - len(values)) / rows if rows else 0.0
    t = present.type
    if pa.types.is_temporal(t):
        present = present.cast(pa.int64() if t.bit_width == 64 else pa.int32())
    numbers = np.asarray(present.to_numpy(), dtype=np.float64)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        finite = np.isfinite(numbers)
        if not finite.all():
            numbers = numbers[finite]
    return numbers, (rows - len(numbers)) / rows if rows else 0.0


def _without_values(
    column: str,
    kind: str,
    ref: np.ndarray | pa.Array,
    cur: np.ndarray | pa.Array,
    nulls: tuple[float, float],
    types: tuple[str, str],
) -> ColumnDrift:
    """A column that is all null on a side: it drifted when the other side has values."""
    empty = [side for side, values in (("reference", ref), ("current", cur)) if len(values) == 0]
    return ColumnDrift(
        column=column,
        kind=kind,
        method="nulls",
        statistic=None,
        threshold=0.0,
        drifted=len(empty) == 1,
        stats={},
        reference_nulls=nulls[0],
        current_nulls=nulls[1],
        reference_type=types[0],
        current_type=types[1],
        note=f"no non-null values in the {' or '.join(empty)} data",
    )


def _stats(stats: drift.Statistics) -> dict[str, float | None]:
    names = (
        ("ks", "ks_pvalue", "wasserstein", "psi")
        if stats.kind == "numeric"
        else ("psi", "jensenshannon", "chisquare_pvalue")
    )
    return {name: getattr(stats, name) for name in names}
