"""Events to Arrow rows: JSON objects become rows; anything else is a reject with the
raw payload and the reason (not JSON, not an object, a required field missing or null, a
value that does not fit its column's type), bound for the table's quarantine.

The fast path parses a whole batch with Arrow's JSON reader (one C++ pass); when that
fails on any event, each event is parsed on its own to tell the good from the bad.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from lakeworks.streams.log.base import Event

_BLOCK = 16 << 20  # Arrow JSON block size: large enough for one micro-batch of small events


@dataclass(frozen=True)
class Rejected:
    event: Event
    reason: str
    columns: str | None = None

    @property
    def text(self) -> str:
        return self.event.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Decoded:
    """Good rows (with the offset of each row's event) and the rejected events."""

    rows: pa.Table
    offsets: pa.Array
    rejected: list[Rejected]


def decode(
    events: Sequence[Event], required: Sequence[str] = (), schema: pa.Schema | None = None
) -> Decoded:
    """Decode ``events``; ``schema`` (the table's, when it exists) types known columns."""
    offsets = pa.array([e.offset for e in events], pa.int64())
    rows = _fast(events, schema)
    if rows is None:
        return _one_by_one(events, required, schema)
    keep, rejected = _required(rows, events, required)
    if keep is None:
        return Decoded(rows, offsets, rejected)
    return Decoded(rows.filter(keep), offsets.filter(keep), rejected)


def _fast(events: Sequence[Event], schema: pa.Schema | None) -> pa.Table | None:
    data = b"\n".join([e.data for e in events])
    if not events or data.count(b"\n") != len(events) - 1:  # an event holds a line break
        return None
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    try:
        rows = pj.read_json(
            io.BytesIO(data),
            read_options=pj.ReadOptions(block_size=_BLOCK),
            parse_options=options,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return rows if rows.num_rows == len(events) else None  # an empty event: no row


def _required(
    rows: pa.Table, events: Sequence[Event], required: Sequence[str]
) -> tuple[pa.Array | None, list[Rejected]]:
    """A mask of rows with every required field, and the rejects of the others."""
    if not required:
        return None, []
    keep = pa.array([True] * rows.num_rows)
    for name in required:
        present = (
            rows.column(name).is_valid()
            if name in rows.column_names
            else pa.array([False] * rows.num_rows)
        )
        keep = pc.and_(keep, present)
    if pc.all(keep).as_py():
        return None, []
    rejected = [
        Rejected(e, *_missing(json.loads(e.data), required))
        for e, ok in zip(events, keep.to_pylist(), strict=True)
        if not ok
    ]
    return keep, rejected


def _missing(record: dict[str, Any], required: Sequence[str]) -> tuple[str, str]:
    names = [n for n in required if record.get(n) is None]
    return f"missing required field(s) {names}", ",".join(names)


def _one_by_one(
    events: Sequence[Event], required: Sequence[str], schema: pa.Schema | None
) -> Decoded:
    good: list[tuple[Event, dict[str, Any]]] = []
    rejected: list[Rejected] = []
    for event in events:
        record, problem = _parse(event.data, required)
        if problem is not None:
            rejected.append(Rejected(event, *problem))
        else:
            good.append((event, record))
    tables, kept = [], []
    target = schema
    for event, record in good:
        row, problem = _row(record, target)
        if problem is not None:
            rejected.append(Rejected(event, *problem))
            continue
        target = target or row.schema
        tables.append(row)
        kept.append(event.offset)
    rejected.sort(key=lambda r: r.event.offset)
    rows = pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})
    return Decoded(rows, pa.array(kept, pa.int64()), rejected)


def _parse(data: bytes, required: Sequence[str]) -> tuple[Any, tuple[str, str | None] | None]:
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, (f"not JSON: {exc}", None)
    if not isinstance(record, dict):
        return None, (f"not a JSON object: found a JSON {type(record).__name__}", None)
    if any(record.get(n) is None for n in required):
        return None, _missing(record, required)
    return record, None


def _row(record: dict[str, Any], target: pa.Schema | None) -> tuple[Any, Any]:
    """One record as a one-row table in ``target``'s types where it has the column."""
    try:
        row = pa.Table.from_pylist([record])
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as exc:
        return None, (f"cannot convert the event to a row: {exc}", None)
    if target is None:
        return row, None
    for i, name in enumerate(row.column_names):
        if name not in target.names or row.schema.field(i).type == target.field(name).type:
            continue
        wanted = target.field(name).type
        try:
            row = row.set_column(i, target.field(name), row.column(i).cast(wanted))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            found = json.dumps(record[name])[:100]
            return None, (f"column {name!r}: expected {wanted}, found {found}", name)
    return row, None
