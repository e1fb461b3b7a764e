"""Column types of a CSV file: what nearly all of a column's sampled values parse as.

DuckDB's sniffer types a column from a sample and falls back to VARCHAR when a single
value does not parse, so one ``n/a`` among a thousand amounts would make the whole column
text. Here a column DuckDB calls VARCHAR is typed by the values of the same sample: the
candidate type (BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN) that parses the most values
wins when the values it does not parse are at most ``MAX_BAD_ROWS`` rows and at most
``MAX_BAD_PERCENT`` % of the sampled non-empty values; those values are quarantined by the
load. Otherwise the column stays text (the widest safe type) and the report says why.
Declared types (``schema=``) and the target table's types are never second-guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from lakeworks.ingest.typemap import SQL_TO_ARROW

SAMPLE_ROWS = 20_480  # DuckDB's own sniffing sample size
MAX_BAD_ROWS = 100
MAX_BAD_PERCENT = 5.0
CANDIDATES = ("BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN")
# DuckDB's TRY_CAST rounds '1.5' to the BIGINT 2 and cuts a timestamp to its DATE: a
# value counts for those types only when it is written as one.
_STRICT = {
    "BIGINT": "regexp_full_match(trim({c}), '[+-]?[0-9]+')",
    "DATE": "regexp_full_match(trim({c}), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')",
    "BOOLEAN": "lower(trim({c})) IN ('true', 'false')",
}
_BATCH = 200  # columns per sampling query (thousands of columns stay one query each)


@dataclass
class Inferred:
    """Types chosen for VARCHAR-sniffed columns and a note for each decision."""

    types: dict[str, pa.DataType] = field(default_factory=dict)
    final: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        rule = (
            f"a column takes the type nearly all of its first {SAMPLE_ROWS:,} values parse "
            f"as (at most {MAX_BAD_ROWS} rows and {MAX_BAD_PERCENT:g}% not parsing; "
            "those rows are quarantined)"
        )
        return {"types": self.final, "notes": self.notes, "rule": rule}


def infer(
    con: duckdb.DuckDBPyConnection,
    scan: str,
    params: dict[str, object],
    sniffed: dict[str, str],
    fixed: dict[str, pa.DataType],
) -> Inferred:
    """Types for the columns DuckDB sniffed as VARCHAR and no one declared."""
    result = Inferred()
    open_columns = [c for c, t in sniffed.items() if t == "VARCHAR" and c not in fixed]
    for start in range(0, len(open_columns), _BATCH):
        _decide(con, scan, params, open_columns[start : start + _BATCH], result)
    for column, sniffed_type in sniffed.items():
        chosen = fixed.get(column) or result.types.get(column)
        result.final[column] = str(chosen) if chosen is not None else sniffed_type
    return result


def _decide(
    con: duckdb.DuckDBPyConnection,
    scan: str,
    params: dict[str, object],
    columns: list[str],
    result: Inferred,
) -> None:
    sql_params = {k: v for k, v in params.items() if k in ("files", "nulls")}
    selects = []
    for i, column in enumerate(columns):
        quoted = '"' + column.replace('"', '""') + '"'
        selects.append(f"count({quoted}) AS n{i}")
        selects += [_parses(quoted, t) + f" AS c{i}_{t}" for t in CANDIDATES]
    body = ", ".join(selects)
    row = con.sql(
        f"SELECT {body} FROM (SELECT * FROM {scan} LIMIT {SAMPLE_ROWS})", params=sql_params
    ).fetchall()[0]
    width = 1 + len(CANDIDATES)
    for i, column in enumerate(columns):
        n, *parsed = row[i * width : (i + 1) * width]
        _choose(column, n, dict(zip(CANDIDATES, parsed, strict=True)), result)


def _parses(quoted: str, sql_type: str) -> str:
    strict = _STRICT.get(sql_type)
    condition = f"TRY_CAST({quoted} AS {sql_type}) IS NOT NULL"
    if strict:
        condition += " AND " + strict.format(c=quoted)
    return f"count(*) FILTER (WHERE {condition})"


def _choose(column: str, n: int, parsed: dict[str, int], result: Inferred) -> None:
    if n == 0:
        return
    best = max(CANDIDATES, key=lambda t: (parsed[t], -CANDIDATES.index(t)))
    bad = n - parsed[best]
    if parsed[best] == 0 or bad == 0:
        return  # text, or DuckDB's own choice already covers it
    share = 100.0 * bad / n
    if bad <= MAX_BAD_ROWS and share <= MAX_BAD_PERCENT:
        result.types[column] = SQL_TO_ARROW[best]
        result.notes.append(
            f"{column}: {best} ({parsed[best]:,} of {n:,} sampled values parse; "
            "values that do not are quarantined)"
        )
    else:
        result.notes.append(
            f"{column}: kept as text ({parsed[best]:,} of {n:,} sampled values parse as "
            f"{best}, {share:.1f}% do not; declare schema={{{column!r}: ...}} to force a type)"
        )
