"""Profiles: per-column statistics of a table version, in one scan.

For every column: its type, null count and an approximate distinct count; min and max
where values are ordered; for numbers also mean, standard deviation, quantiles (p1, p5,
p25, p50, p75, p95, p99) and an equi-depth histogram (the deciles: each of the ten bins
between neighbouring edges holds about a tenth of the non-null values); for other
columns the most frequent values (approximate top 5). Stored as compact JSON in the
catalog, they are the reference for drift detection.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from lakeworks.lake.scans import quote
from lakeworks.quality.evaluate import json_rows

if TYPE_CHECKING:
    from lakeworks.quality.store import Profile

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
DECILES = tuple(i / 10 for i in range(11))
TOP = 5


def _numeric(t: pa.DataType) -> bool:
    return (
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    ) and not pa.types.is_boolean(t)


def _ordered(t: pa.DataType) -> bool:
    return (
        _numeric(t)
        or pa.types.is_temporal(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_boolean(t)
    )


def _aggregates(name: str, t: pa.DataType) -> dict[str, str]:
    c = quote(name)
    parts = {"nulls": f"count(*) - count({c})", "distinct": f"approx_count_distinct({c})"}
    if _ordered(t):
        parts.update(min=f"min({c})", max=f"max({c})")
    if _numeric(t):
        x = f"{c}::DOUBLE"
        points = ", ".join(str(q) for q in QUANTILES + DECILES)
        parts.update(
            mean=f"avg({x})",
            std=f"stddev_samp({x})",
            q=f"approx_quantile({x}, [{points}])",
        )
    elif not pa.types.is_nested(t) and not pa.types.is_binary(t):
        parts["top"] = f"approx_top_k({c}, {TOP})"
    return parts


def compute(
    con: duckdb.DuckDBPyConnection, view: str, schema: pa.Schema
) -> tuple[int, dict[str, Any]]:
    """``(rows, {column: statistics})`` of ``view``, in one query."""
    plan = {f.name: _aggregates(f.name, f.type) for f in schema}
    selects = ["count(*) AS n"]
    for i, (_, parts) in enumerate(plan.items()):
        selects += [f'{expr} AS "{i}:{key}"' for key, expr in parts.items()]
    table = con.sql(f"SELECT {', '.join(selects)} FROM {quote(view)}").to_arrow_table()
    row = json_rows(table.to_pylist())[0]
    rows = int(row["n"])
    columns = {}
    for i, field in enumerate(schema):
        stats: dict[str, Any] = {"type": str(field.type)}
        for key in plan[field.name]:
            stats[key] = row[f"{i}:{key}"]
        _split_quantiles(stats)
        columns[field.name] = stats
    return rows, columns


def _split_quantiles(stats: dict[str, Any]) -> None:
    points = stats.pop("q", None)
    if points is None:
        return
    stats["quantiles"] = {f"p{round(q * 100)}": v for q, v in zip(QUANTILES, points, strict=False)}
    stats["histogram"] = {"kind": "equi-depth", "edges": points[len(QUANTILES) :]}


VALUE_STATS = ("min", "max", "top")  # the statistics that show values of the column


def masked(profile: Profile, columns: dict[str, str] | None) -> Profile:
    """``profile`` without the values of ``columns`` (those a reader sees masked)."""
    if not columns:
        return profile
    shown = {
        name: {k: v for k, v in stats.items() if k not in VALUE_STATS} | {"masked": True}
        if name in columns
        else stats
        for name, stats in profile.columns.items()
    }
    return replace(profile, columns=shown)
