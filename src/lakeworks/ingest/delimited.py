"""CSV files through DuckDB's reader, with rejected records captured for quarantine.

``read_csv(..., store_rejects=true)`` skips malformed records (wrong field count, a value
that does not cast to the column type, a record over ``max_line_size``, bytes invalid in
the encoding) and records each error in ``reject_errors``; the errors of one record are
grouped into one Reject with one readable reason and the record's exact bytes, read back
from the file. Files DuckDB cannot read as they are (mixed line ends, another encoding,
a dialect its sniffer refuses) take the careful path of ``csvrepair`` first. Column types
come from ``csvtypes``: declared types win, then the table's, then what nearly all of a
column's sampled values parse as.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from lakeworks.errors import InvalidInputError
from lakeworks.ingest import csvrepair, csvtypes
from lakeworks.ingest.base import Extract, Plan, Reject
from lakeworks.ingest.typemap import duckdb_type
from lakeworks.ingest.watermarks import check_column
from lakeworks.lake import duck

if TYPE_CHECKING:
    from lakeworks.config import Settings

_REJECTS = """
SELECT s.file_path, e.line, e.line_byte_position, e.error_type, e.column_name,
       e.error_message, e.csv_line
FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id)
ORDER BY s.file_path, e.line, e.column_idx
"""


@dataclass
class _Files:
    """What DuckDB scans: the files themselves, or their repaired copies."""

    scan: list[Path]
    originals: dict[str, Path]  # scanned path -> original path
    repaired: bool = False
    folder: Path | None = None
    rejects: list[Reject] = field(default_factory=list)
    reason: str | None = None


def read_csv(paths: list[Path], names: dict[str, str], plan: Plan, settings: Settings) -> Extract:
    """Stream the good rows of CSV files; rejects are complete when the stream ends."""
    con = duck.connect(settings, plan.scratch / "duckdb")
    files = _Files(list(paths), {str(p): p for p in paths})
    try:
        reasons = [r for p in paths if (r := csvrepair.needs_repair(p, plan.encoding))]
        if reasons:
            files = _repair(paths, names, plan, reasons[0])
        try:
            relation, details = _relation(con, files, plan)
        except InvalidInputError as exc:
            if files.repaired or not isinstance(exc.__cause__, duckdb.Error):
                raise
            files = _repair(paths, names, plan, f"DuckDB's reader refused it: {exc.message}")
            relation, details = _relation(con, files, plan)
    except BaseException:
        con.close()
        _remove(files)
        raise
    if files.reason:
        details["csv"]["careful_path"] = files.reason
    extract = Extract(iter(()), list(files.rejects), details)
    extract.batches = _stream(con, relation, names, plan, files, extract.rejects)
    return extract


def _repair(paths: list[Path], names: dict[str, str], plan: Plan, reason: str) -> _Files:
    folder = plan.scratch / f"csv-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    files = _Files([], {}, True, folder, reason=reason)
    for i, path in enumerate(paths):
        target = folder / f"{i}.csv"
        done = csvrepair.repair(
            path, names[str(path)], target, plan.encoding, plan.max_line_size, _delimiter(path)
        )
        files.scan.append(target)
        files.originals[str(target)] = path
        files.rejects.extend(done.rejects)
    return files


def _delimiter(path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    with path.open("rb") as f:
        sample = f.read(64 << 10).decode("latin-1")
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _relation(
    con: duckdb.DuckDBPyConnection, files: _Files, plan: Plan
) -> tuple[duckdb.DuckDBPyRelation, dict[str, Any]]:
    params: dict[str, object] = {"files": [str(p) for p in files.scan]}
    first = next(iter(files.originals.values()))
    try:
        described = con.sql(
            f"DESCRIBE SELECT * FROM {_scan(params, plan.declared, plan, files)}", params=params
        ).fetchall()
        sniffed = {row[0]: row[1] for row in described if row[0] not in csvrepair.HIDDEN}
        columns = list(sniffed)
        types = _types(plan, columns)
        sample = f"read_csv($files, {_options(plan, files)}, all_varchar = true)"
        inferred = csvtypes.infer(con, sample, params, sniffed, types)
        types.update(inferred.types)
        scan = _scan(params, types, plan, files)
        where = ""
        if plan.watermark is not None:
            check_column(plan.watermark.column, columns, f"{first}")
            if plan.watermark.value is not None:
                where = f' WHERE "{plan.watermark.column}" > $watermark'
                params["watermark"] = plan.watermark.value
        select = "* EXCLUDE (__lw_line, __lw_offset)" if files.repaired else "*"
        relation = con.sql(f"SELECT {select} FROM {scan}{where}", params=params)
    except duckdb.Error as exc:
        message = str(exc).split("\n", 1)[0]
        raise InvalidInputError(
            f"cannot read CSV {first}: {message}",
            hint="check the file's header, delimiter and declared types",
            path=str(first),
        ) from exc
    return relation, {"csv": inferred.report()}


def _options(plan: Plan, files: _Files) -> str:
    encoding = "utf-8" if files.repaired else csvrepair.DUCKDB_ENCODINGS[plan.encoding.lower()]
    options = (
        "store_rejects = true, header = true, nullstr = $nulls, "
        f"max_line_size = {int(plan.max_line_size)}, encoding = '{encoding}', "
        f"buffer_size = {max(32 << 20, 2 * int(plan.max_line_size))}"
    )
    if files.repaired:
        options += ", delim = ',', quote = '\"', escape = '\"'"
    return options


def _scan(
    params: dict[str, object], types: dict[str, pa.DataType], plan: Plan, files: _Files
) -> str:
    params.pop("types", None)
    params["nulls"] = list(plan.null_values)
    options = _options(plan, files)
    if not types:
        return f"read_csv($files, {options})"
    params["types"] = {c: duckdb_type(t, c) for c, t in types.items()}
    return f"read_csv($files, {options}, types = $types)"


def _types(plan: Plan, columns: list[str]) -> dict[str, pa.DataType]:
    """Declared types, plus the target table's types for the other columns it shares."""
    types = {c: t for c, t in plan.declared.items() if c in columns}
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
    files: _Files,
    rejects: list[Reject],
) -> Iterator[pa.RecordBatch]:
    try:
        try:
            reader = relation.to_arrow_reader(plan.chunk_size)
            yield from reader
        except duckdb.Error as exc:
            raise InvalidInputError(
                f"cannot read CSV {next(iter(names.values()))}: {str(exc).splitlines()[0]}",
                hint="check the file's encoding, quoting and declared types",
            ) from exc
        rejects.extend(_rejects(con.sql(_REJECTS).fetchall(), names, plan, files))
    finally:
        con.close()
        _remove(files)


def _remove(files: _Files) -> None:
    if files.folder is not None:
        shutil.rmtree(files.folder, ignore_errors=True)


def _rejects(rows: list[tuple], names: dict[str, str], plan: Plan, files: _Files) -> list[Reject]:
    """One Reject per bad record, with one readable reason and the record's bytes."""
    grouped: dict[tuple[str, int], list[tuple]] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append(row)
    found = []
    for (path, line), errors in grouped.items():
        original = files.originals.get(path, Path(path))
        offset = errors[0][2]
        if files.repaired:  # the hidden leading columns hold the original line and offset
            hidden = next(csv.reader([errors[0][6]]), ["", ""])
            line, offset = int(hidden[0]), int(hidden[1])
        else:
            offset = _line_start(original, offset)
        data = raw_record_at(original, offset, plan.encoding)
        name = names.get(str(original), str(original))
        columns = ",".join(dict.fromkeys(e[4] for e in errors if e[4]))
        text = data.decode(plan.encoding, errors="replace").rstrip("\r\n")
        if len(text) > csvrepair.PREVIEW:
            text = text[: csvrepair.PREVIEW] + f"... ({len(data):,} bytes in raw_bytes)"
        found.append(Reject(name, line, text, reason(errors, plan), columns or None, data))
    return found


def _line_start(path: Path, position: int) -> int:
    """DuckDB's line_byte_position is one past the record's first byte (2.0); verify."""
    with path.open("rb") as f:
        for start in (position - 1, position):
            if start <= 0:
                return 0
            f.seek(start - 1)
            if f.read(1) == b"\n":
                return start
    return max(position - 1, 0)


def raw_record_at(path: Path, offset: int, encoding: str) -> bytes:
    """The exact bytes of the CSV record that starts at byte ``offset`` of ``path``."""
    with path.open("rb") as binary:
        binary.seek(offset)
        text = io.TextIOWrapper(binary, encoding, errors="surrogateescape", newline="")
        lines = csvrepair.Lines(iter(text))
        with contextlib.suppress(StopIteration, csv.Error):
            next(csv.reader(lines))
        return lines.take().encode(encoding, "surrogateescape")


_FOUND = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CAST = re.compile(r'Could not convert string "(.*)" to \'([\w ()]+)\'', re.DOTALL)


def reason(errors: list[tuple], plan: Plan) -> str:
    """One readable reason for the errors DuckDB reported on one record.

    DuckDB reports a short record once per missing column, each with another count;
    the record is described once, with the number of fields it really has.
    """
    parts: dict[str, str] = {}
    counts = [tuple(map(int, m)) for e in errors for m in _FOUND.findall(e[5])]
    for _, _, _, kind, column, message, _ in errors:
        if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS") and counts:
            found = [f for _, f in counts]
            got = min(found) if kind == "MISSING COLUMNS" else max(found)
            parts["fields"] = csvrepair.field_count(counts[0][0], got)
        elif kind == "CAST":
            match = _CAST.search(message)
            shown = f"{match[1]!r} is not a {match[2]}" if match else " ".join(message.split())
            parts.setdefault(f"cast {column}", f"CAST: column {column!r}: {shown}")
        elif kind == "LINE SIZE OVER MAXIMUM":
            parts[kind] = csvrepair.too_long(plan.max_line_size)
        elif kind == "INVALID ENCODING":
            parts[kind] = csvrepair.bad_bytes(plan.encoding, column)
        else:
            parts.setdefault(kind, f"{kind}: {' '.join(message.split())}")
    if "fields" in parts:  # values shifted by a missing or extra field fail casts too
        return parts["fields"]
    return "; ".join(parts.values())
