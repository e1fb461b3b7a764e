"""The careful CSV path, for files DuckDB's reader cannot take as they are.

DuckDB's reader is fast but refuses a file whose lines end in both CRLF and LF (files
concatenated from two sources), and reads only UTF-8, UTF-16 and Latin-1. Such a file is
read here with Python's ``csv`` module, record by record, into a clean UTF-8 copy with LF
line ends in the scratch folder, which DuckDB then reads like any other file. Two hidden
leading columns keep each record's line and byte offset in the original file, so a value
that later fails its column's type is still quarantined with its own line and raw bytes.

Records with the wrong number of fields, longer than ``max_line_size`` bytes, or with
bytes that are not valid in the file's encoding become Rejects carrying the exact bytes
of the record (``raw_bytes``), so nothing is lost.
"""

from __future__ import annotations

import csv
import io
import mmap
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lakeworks.ingest.base import Reject

LINE, OFFSET = "__lw_line", "__lw_offset"
HIDDEN = (LINE, OFFSET)
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1"}
DUCKDB_ENCODINGS |= {"iso-8859-1": "latin-1", "utf-16": "utf-16", "utf16": "utf-16"}
_LONE_LF = re.compile(rb"[^\r]\n")
PREVIEW = 1024  # characters of an over-long record kept as text (its bytes are kept whole)


def needs_repair(path: Path, encoding: str) -> str | None:
    """Why ``path`` must take the careful path, or None when DuckDB reads it directly.

    Costs one ``memchr`` over a file without carriage returns (0.2 s for 700 MB); a
    file with them is searched for a line feed without one. The file is mapped and read
    a window at a time, each window's pages released after it: a mapped page read counts
    in the process's resident memory, and the whole file mapped at once raised a load's
    peak RSS by the file's size.
    """
    if encoding.lower() not in DUCKDB_ENCODINGS:
        return f"encoding {encoding} is read by Python's codecs"
    if path.stat().st_size == 0:
        return None
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if not _found(data, lambda start, end: data.find(b"\r", start, end) != -1):
            return None  # no CR, LF only
        lone_lf = data.find(b"\n", 0, 1) == 0 or _found(
            data, lambda start, end: _LONE_LF.search(data, max(start - 1, 0), end) is not None
        )
        if lone_lf and _found(data, lambda start, end: data.find(b"\r\n", start, end) != -1):
            return "mixed line ends (CRLF and LF)"
    return None


_WINDOW = 4096 * 16384  # 64 MiB, a whole number of pages


def _found(data: mmap.mmap, search: Callable[[int, int], bool]) -> bool:
    """Whether ``search`` finds something in a window of ``data``, windows in order.

    A window's search may read one byte before it and past its end (a pattern across
    the boundary); its pages are dropped from this process's memory once searched (the
    page cache keeps them for the scan that follows).
    """
    for start in range(0, len(data), _WINDOW):
        end = min(start + _WINDOW + 1, len(data))
        try:
            if search(start, end):
                return True
        finally:
            if hasattr(mmap, "MADV_DONTNEED") and start % mmap.PAGESIZE == 0:
                data.madvise(mmap.MADV_DONTNEED, start, end - start)
    return False


@dataclass
class Repaired:
    """A clean copy of one file: its header and the records that could not be copied."""

    path: Path
    header: list[str]
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0


class Lines:
    """The text lines of a file, remembering those the csv reader consumed for a record."""

    def __init__(self, text: Iterator[str]) -> None:
        self.text = text
        self.consumed: list[str] = []
        self.number = 0

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        line = next(self.text)
        self.consumed.append(line)
        self.number += 1
        return line

    def take(self) -> str:
        raw, self.consumed = "".join(self.consumed), []
        return raw


def repair(
    path: Path, name: str, target: Path, encoding: str, max_line_size: int, delimiter: str
) -> Repaired:
    """Copy the good records of ``path`` to ``target`` (UTF-8, LF, hidden columns first)."""
    csv.field_size_limit(max(csv.field_size_limit(), sys.maxsize >> 1))
    with (
        path.open("rb") as binary,
        io.TextIOWrapper(binary, encoding, errors="surrogateescape", newline="") as text,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        lines = Lines(iter(text))
        reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True)
        writer = csv.writer(out, lineterminator="\n")
        header = _header(reader, lines, name, encoding)
        writer.writerow([*HIDDEN, *header])
        result = Repaired(target, header)
        offset = len(lines.take().encode(encoding, "surrogateescape"))
        while True:
            start = lines.number + 1
            try:
                record = next(reader)
                problem = None
            except StopIteration:
                break
            except csv.Error as exc:
                record, problem = [], f"not a valid CSV record: {exc}"
            raw = lines.take()
            data = raw.encode(encoding, "surrogateescape")
            problem = problem or _problem(record, data, header, encoding, max_line_size)
            if problem is None:
                writer.writerow([start, offset, *record])
                result.rows += 1
            elif record != [] or raw.strip():
                result.rejects.append(_reject(name, start, raw, data, problem, encoding))
            offset += len(data)
    return result


def _header(reader: csv.Reader, lines: Lines, name: str, encoding: str) -> list[str]:
    from lakeworks.errors import InvalidInputError

    try:
        header = next(reader)
    except StopIteration:
        header = []
    if not header or any(_undecodable(h) for h in header):
        raise InvalidInputError(
            f"CSV {name} has no readable header line (encoding {encoding})",
            hint="the first line must name the columns; pass encoding= if it is not UTF-8",
            path=name,
        )
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    return header


def _problem(
    record: list[str], data: bytes, header: list[str], encoding: str, max_line_size: int
) -> str | None:
    if len(data) > max_line_size:
        return too_long(max_line_size, len(data))
    if len(record) != len(header):
        return field_count(len(header), len(record))
    for column, value in zip(header, record, strict=True):
        if _undecodable(value):
            return bad_bytes(encoding, column)
    return None


def too_long(max_line_size: int, size: int | None = None) -> str:
    """The reason for a record over ``max_line_size`` bytes (both readers word it so)."""
    shown = f" ({size:,} bytes)" if size else ""
    return (
        f"LINE SIZE OVER MAXIMUM: the record{shown} is longer than max_line_size "
        f"{max_line_size:,} bytes; raise --max-line-size / max_line_size= to load it"
    )


def field_count(expected: int, found: int) -> str:
    kind = "MISSING COLUMNS" if found < expected else "TOO MANY COLUMNS"
    return f"{kind}: expected {expected} fields, found {found}"


def bad_bytes(encoding: str, column: str | None) -> str:
    where = f" in column {column!r}" if column else ""
    return (
        f"INVALID ENCODING: bytes{where} are not valid {encoding}; pass --encoding / "
        "encoding= (e.g. latin-1) to read them, the raw bytes are kept in raw_bytes"
    )


def _undecodable(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _reject(name: str, line: int, raw: str, data: bytes, reason: str, encoding: str) -> Reject:
    text = data.decode(encoding, errors="replace").rstrip("\r\n")
    if len(text) > PREVIEW:
        text = text[:PREVIEW] + f"... ({len(data):,} bytes in raw_bytes)"
    return Reject(name, line, text, reason, None, data)
