"""CSV files through DuckDB's reader, with rejected lines captured for quarantine.

``read_csv(..., store_rejects=true)`` skips malformed lines (wrong field count, a value
that does not cast to the column type) and records each error in ``reject_errors``;
one bad line may give several errors, which are grouped into one Reject per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from lakeworks.errors import InvalidInputError
from lakeworks.ingest.base import Extract, Plan, Reject
from lakeworks.ingest.typemap import duckdb_type
from lakeworks.ingest.watermarks import check_column
from lakeworks.lake import duck

if TYPE_CHECKING:
    from lakeworks.config import Settings

_REJECTS = """
SELECT s.file_path, e.line, any_value(e.csv_line ORDER BY e.column_idx) AS raw,
       string_agg(e.error_type || ': ' || e.error_message, '; ' ORDER BY e.column_idx),
       string_agg(e.column_name, ',' ORDER BY e.column_idx)
FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id)
GROUP BY s.file_path, e.line ORDER BY s.file_path, e.line
"""


def read_csv(paths: list[Path], names: dict[str, str], plan: Plan, settings: Settings) -> Extract:
    """Stream the good rows of CSV files; rejects are complete when the stream ends."""
    con = duck.connect(settings, plan.scratch / "duckdb")
    try:
        relation = _relation(con, paths, plan)
    except BaseException:
        con.close()
        raise
    extract = Extract(iter(()))
    extract.batches = _stream(con, relation, names, plan, extract.rejects)
    return extract


def _relation(
    con: duckdb.DuckDBPyConnection, paths: list[Path], plan: Plan
) -> duckdb.DuckDBPyRelation:
    params: dict[str, object] = {"files": [str(p) for p in paths]}
    try:
        columns = con.sql(
            f"SELECT * FROM {_scan(params, plan.declared, plan.null_values)} LIMIT 0", params=params
        ).columns
        scan = _scan(params, _types(plan, columns), plan.null_values)
        where = ""
        if plan.watermark is not None:
            check_column(plan.watermark.column, columns, f"{paths[0]}")
            if plan.watermark.value is not None:
                where = f' WHERE "{plan.watermark.column}" > $watermark'
                params["watermark"] = plan.watermark.value
        return con.sql(f"SELECT * FROM {scan}{where}", params=params)
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"cannot read CSV {paths[0]}: {exc}",
            hint="check the file's header, delimiter and declared types",
            path=str(paths[0]),
        ) from exc


def _scan(params: dict[str, object], types: dict[str, pa.DataType], nulls: tuple[str, ...]) -> str:
    params.pop("types", None)
    params["nulls"] = list(nulls)
    options = "store_rejects = true, header = true, nullstr = $nulls"
    if not types:
        return f"read_csv($files, {options})"
    params["types"] = {c: duckdb_type(t, c) for c, t in types.items()}
    return f"read_csv($files, {options}, types = $types)"


def _types(plan: Plan, columns: list[str]) -> dict[str, pa.DataType]:
    """Declared types, plus the target table's types for the other columns it shares."""
    types = dict(plan.declared)
    for f in plan.existing or []:
        if f.name in columns and f.name not in types and _readable(f.type):
            types[f.name] = f.type
    return types


def _readable(t: pa.DataType) -> bool:
    try:
        duckdb_type(t, "")
    except InvalidInputError:
        return False
    return True


def _stream(
    con: duckdb.DuckDBPyConnection,
    relation: duckdb.DuckDBPyRelation,
    names: dict[str, str],
    plan: Plan,
    rejects: list[Reject],
) -> Iterator[pa.RecordBatch]:
    try:
        try:
            reader = relation.to_arrow_reader(plan.chunk_size)
            yield from reader
        except duckdb.Error as exc:
            raise InvalidInputError(
                f"cannot read CSV {next(iter(names.values()))}: {exc}",
                hint="check the file's encoding, quoting and declared types",
            ) from exc
        for path, line, raw, reason, columns in con.sql(_REJECTS).fetchall():
            rejects.append(Reject(names.get(path, path), line, raw, reason, columns))
    finally:
        con.close()
