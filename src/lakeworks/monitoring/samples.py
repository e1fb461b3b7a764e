"""The two sides of a comparison, whatever the caller passed: an Arrow table, a pandas or
Polars frame, a list of dicts, or a table name (``orders``, ``orders@v3``,
``orders@2026-11-27T10:00:00Z``).

A table side is pinned to one version when it is opened, so a write landing during the
comparison changes nothing; its columns are read a group at a time (``columns``), so a
wide table never sits in memory whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeworks.errors import InvalidInputError
from lakeworks.lake.versions import add_actions, arrow_schema
from lakeworks.monitoring.report import Side

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeworks.context import Context
    from lakeworks.lake.sql import SqlEngine
    from lakeworks.lake.tables import Tables

_AT_VERSION = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class Sample:
    """One side: what it is, its schema, and a reader of some of its columns."""

    side: Side
    schema: pa.Schema
    read: Callable[[list[str]], pa.Table]

    def columns(self, names: list[str]) -> pa.Table:
        return self.read(names)


def of(data: Any, role: str, ctx: Context, tables: Tables, sql: SqlEngine) -> Sample:
    """The ``role`` side (reference or current) of ``data``."""
    if isinstance(data, str):
        return _table(data, ctx, tables, sql)
    frame, kind = _arrow(data, role)
    return Sample(Side(f"{role} ({kind})", frame.num_rows), frame.schema, frame.select)


def _arrow(data: Any, role: str) -> tuple[pa.Table, str]:
    """The data as Arrow, and what it was."""
    if isinstance(data, pa.Table):
        return data, "Arrow table"
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), "Arrow record batch"
    module = type(data).__module__.split(".")[0]
    if module == "pandas" and type(data).__name__ == "DataFrame":
        return pa.Table.from_pandas(data, preserve_index=False), "pandas DataFrame"
    if module == "polars" and type(data).__name__ == "DataFrame":
        return data.to_arrow(), "Polars DataFrame"
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return pa.Table.from_pylist(data), "list of rows"
    raise InvalidInputError(
        f"the {role} data is a {type(data).__name__}, which cannot be compared",
        hint="pass an Arrow table, a pandas or Polars DataFrame, a list of dicts, or a table "
        "name ('orders', 'orders@v3')",
        side=role,
        found=type(data).__name__,
    )


def _table(spec: str, ctx: Context, tables: Tables, sql: SqlEngine) -> Sample:
    name, _, at = spec.partition("@")
    version: int | None = None
    as_of: str | None = None
    if at:
        match = _AT_VERSION.match(at)
        version, as_of = (int(match.group(1)), None) if match else (None, at)
    dt = tables.open(ctx, name, version=version, as_of=as_of)
    pinned = dt.version()
    rows = _rows(dt, name, ctx, sql)

    def read(columns: list[str]) -> pa.Table:
        return tables.read(ctx, name, columns=columns, version=pinned, unmasked=True)

    side = Side(spec if at else f"{name}@v{pinned}", rows, table=name, version=pinned)
    return Sample(side, arrow_schema(dt), read)


def _rows(dt: DeltaTable, name: str, ctx: Context, sql: SqlEngine) -> int:
    """The version's row count: the sum of its files' counts from the Delta log, unless
    deletion vectors hide some rows (or a file has no count), when the SQL engine counts."""
    actions = add_actions(dt)
    counts = (
        actions.column("num_records").to_pylist() if "num_records" in actions.column_names else []
    )
    hidden = "deletionVectors" in (dt.protocol().writer_features or [])
    if actions.num_rows and not hidden and None not in counts:
        return int(sum(counts))
    # name@vN unquoted: the SQL engine rewrites it to that version's view, quoted
    return int(sql.query(ctx, f"SELECT count(*) FROM {name}@v{dt.version()}").fetchall()[0][0])
