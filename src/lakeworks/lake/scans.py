"""Turn a Delta table version into something DuckDB scans.

On local disk DuckDB reads the version's Parquet files directly (its fastest path, with
projection and filter pushdown); elsewhere (S3) it scans the Arrow dataset deltalake
provides. Tables with partition columns or deletion vectors always take the dataset path,
since their files alone do not hold the whole truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from lakeworks.errors import InvalidInputError
from lakeworks.lake import duck, predicates
from lakeworks.lake.masks import select_list
from lakeworks.lake.versions import arrow_schema

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.masks import ReadMask
    from lakeworks.lake.storage import Storage


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def native_files(dt: DeltaTable, storage: Storage) -> list[str] | None:
    """The Parquet files DuckDB can read by path, or None when it must use the dataset."""
    if not storage.capabilities.native_scan:
        return None
    if dt.metadata().partition_columns:
        return None
    if "deletionVectors" in (dt.protocol().writer_features or []):
        return None
    return dt.file_uris()


def register(
    con: duckdb.DuckDBPyConnection,
    view: str,
    dt: DeltaTable,
    storage: Storage,
    masks: dict[str, str] | None = None,
    native: bool = True,
) -> list[str]:
    """Make ``view`` a DuckDB view of the table version; returns the folders it reads.

    ``masks`` (column -> expression, ``lake.masks``) replace columns in the view;
    ``native=False`` scans the Arrow dataset even on local disk (for a connection that
    may read no file, so that a masked reader cannot reach the raw Parquet files).
    """
    schema = arrow_schema(dt)
    files = native_files(dt, storage) if native else None
    columns = select_list(schema.names, masks, quote)
    if files:
        file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS SELECT {columns} "
            f"FROM read_parquet({file_list}, union_by_name=true)"
        )
        return [dt.table_uri.removeprefix("file://").rstrip("/") + "/"]
    source = dt.to_pyarrow_dataset() if files is None else schema.empty_table()
    hidden = f"__lw_src_{abs(hash((view, dt.table_uri, dt.version())))}"
    con.register(hidden, source)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS SELECT {columns} FROM {hidden}")
    return []


def read(
    dt: DeltaTable,
    storage: Storage,
    settings: Settings,
    *,
    table: str,
    columns: list[str] | None,
    where: str | None,
    limit: int | None,
    masks: dict[str, str] | None = None,
    mask: ReadMask | None = None,
) -> pa.Table:
    """Read a version as Arrow with projection, predicate and limit pushed into the scan.

    ``where`` is one SQL expression over the table's columns (see ``lake.predicates``); the
    scan runs on a connection that may read only the table's own files. With ``masks``
    (from ``mask``) the masked columns are read, and ``where`` filters masked values.
    """
    schema = arrow_schema(dt)
    unknown = [c for c in columns or [] if c not in schema.names]
    if unknown:
        raise InvalidInputError(
            f"table {table!r} has no column(s) {unknown}",
            hint=f"its columns are {schema.names}",
            table=table,
        )
    if masks and mask is None:
        raise ValueError("masks need the ReadMask whose SQL functions they call")
    plain = columns is None and where is None and limit is None and not masks
    if plain and native_files(dt, storage) is None:
        return dt.to_pyarrow_table()
    condition = (
        predicates.parse(where, schema.names, table=table, what="the where filter")
        if where is not None
        else None
    )
    con = duck.connect(settings)
    if masks and mask is not None:
        mask.register(con)
    register(con, "t", dt, storage, masks)
    duck.lock_down(con, [dt.table_uri.removeprefix("file://").rstrip("/") + "/"])
    select = ", ".join(quote(c) for c in columns) if columns else "*"
    sql = f"SELECT {select} FROM t" + (f" WHERE {condition}" if condition else "")
    sql += f" LIMIT {int(limit)}" if limit is not None else ""
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"cannot filter table {table!r} with {where!r}: {exc}", table=table
        ) from exc
    finally:
        con.close()


def last_per_key(reader: pa.RecordBatchReader, keys: list[str]) -> pa.Table:
    """The data with one row per key (the last one), as a merge source needs."""
    data = reader.read_all()
    con = duck.private()
    try:
        con.register("src", data)
        key_list = ", ".join(quote(k) for k in keys)
        duplicates = con.sql(f"SELECT count(*) - count(DISTINCT ({key_list})) FROM src").fetchall()[
            0
        ][0]
        if not duplicates:
            return data
        return con.sql(
            f"SELECT * EXCLUDE (__lw_row) FROM (SELECT *, row_number() OVER () AS "
            f"__lw_row FROM src) QUALIFY row_number() OVER (PARTITION BY {key_list} "
            f"ORDER BY __lw_row DESC) = 1 ORDER BY __lw_row"
        ).to_arrow_table()
    finally:
        con.close()
