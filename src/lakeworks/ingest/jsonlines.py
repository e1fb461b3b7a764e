"""JSON lines files, read line by line in chunks; a line that is not JSON is quarantined.

A file whose first character is ``[`` is read as one JSON array of objects instead.
Blank lines are not records and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from lakeworks.errors import InvalidInputError
from lakeworks.ingest.base import Extract, Plan, Reject
from lakeworks.ingest.records import Record, RecordConverter
from lakeworks.ingest.watermarks import newer


def read_json(paths: list[Path], names: dict[str, str], plan: Plan) -> Extract:
    extract = Extract(iter(()))
    extract.batches = _batches(paths, names, plan, extract.rejects)
    return extract


def _batches(
    paths: list[Path], names: dict[str, str], plan: Plan, rejects: list[Reject]
) -> Iterator[pa.RecordBatch]:
    converter: RecordConverter | None = None
    for path in paths:
        source = names.get(str(path), str(path))
        if converter is None:
            converter = RecordConverter(source, plan.hints)
        converter.source = source
        for chunk in _chunks(path, plan.chunk_size):
            parsed = [r for r in (_parse(source, line, rejects) for line in chunk) if r]
            batch, bad = converter.convert(parsed)
            rejects.extend(bad)
            if batch is not None:
                yield newer(batch, plan.watermark)


def _chunks(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    with path.open("rb") as f:
        head = f.read(64).lstrip()
        f.seek(0)
        if head.startswith(b"["):
            yield from _array_chunks(f.read(), size)
            return
        chunk: list[tuple[int, bytes]] = []
        for number, line in enumerate(f, start=1):
            if line.strip():
                chunk.append((number, line))
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _array_chunks(text: bytes, size: int) -> Iterator[list[tuple[int, bytes]]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"file starting with '[' is not a JSON array: {exc}",
            hint="use one JSON object per line (JSON lines)",
        ) from exc
    if not isinstance(items, list):
        items = [items]
    lines = [(None, json.dumps(item).encode()) for item in items]
    for start in range(0, len(lines), size):
        yield lines[start : start + size]


def _parse(source: str, numbered: tuple[int | None, bytes], rejects: list[Reject]) -> Record | None:
    number, line = numbered
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    try:
        return Record(number, text, json.loads(line))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        rejects.append(Reject(source, number, text, f"not valid JSON: {exc}"))
        return None
