"""Events of a stream feature view as typed values: parsing one event, the column types
of its tables, and the counts of a step.

A field read by ``sum``, ``mean``, ``min`` or ``max`` is a float64; any other field
(``last``, ``distinct_count``) and each join key takes the type of its first value
(integer, float, text or boolean; keys integer or text), or the type the events table
already has. An event whose value does not fit is quarantined naming the field, the type
expected and the value found, like an event that is not JSON or lacks a key or its time.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import pyarrow as pa
import pyarrow.json as pj

from lakeworks.features.sources import INGESTED_AT
from lakeworks.features.stream_views import WINDOW_START, StreamFeatureView
from lakeworks.ingest.base import Reject
from lakeworks.streams.windows import parse_time

if TYPE_CHECKING:
    from lakeworks.streams.log.base import Event

OFFSET, LATE = "_lw_offset", "_lw_late"
_TS = pa.timestamp("us", "UTC")
_NUMERIC = {"sum", "mean", "min", "max"}
_TYPES = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


@dataclass
class StepCounts:
    """One step: events read, on time, late, quarantined, skipped (committed before),
    and keys written online."""

    events: int = 0
    accepted: int = 0
    late: int = 0
    quarantined: int = 0
    skipped: int = 0
    online: int = 0


class Good(NamedTuple):
    """An event that parsed: its key, time (microseconds) and fields. A NamedTuple: the
    processor builds one per event."""

    key: tuple[Any, ...]
    ts: int
    values: tuple[Any, ...]  # one per aggregate, in the view's order
    fields: dict[str, Any]  # the fields the aggregates read
    names: tuple[str, ...]  # the join keys
    timestamp: str

    def row(self, offset: int, late: bool, stamp: datetime) -> dict[str, Any]:
        return {
            **dict(zip(self.names, self.key, strict=True)),
            self.timestamp: self.ts,
            **self.fields,
            OFFSET: offset,
            LATE: late,
            INGESTED_AT: stamp,
        }


class EventTypes:
    """The Arrow type of each join key and field; fixed by the first value seen."""

    def __init__(self, sview: StreamFeatureView, keys: tuple[str, ...]) -> None:
        self.sview, self.keys = sview, keys
        numeric = {a.column for a in sview.features if a.function in _NUMERIC}
        self.types: dict[str, pa.DataType | None] = {k: None for k in keys}
        self.types.update({c: pa.float64() if c in numeric else None for c in sview.columns()})
        self._fast: dict[str, type] = {}  # column -> the Python type taken as it is
        self.columns = sview.columns()
        self.per_agg = [a.column for a in sview.features]  # the field each aggregate reads

    def _learn(self, name: str) -> None:
        kind = self.types[name]
        py = next((t for t, a in _TYPES.items() if a == kind), None)
        if py is not None:
            self._fast[name] = py

    @classmethod
    def of(
        cls, sview: StreamFeatureView, keys: tuple[str, ...], schema: pa.Schema | None
    ) -> EventTypes:
        types = cls(sview, keys)
        for name in types.types:
            if schema is not None and name in schema.names:
                types.types[name] = schema.field(name).type
            types._learn(name)
        return types

    def check(self, name: str, value: Any, key: bool = False) -> Any:
        """``value`` as the column's type; ValueError naming what was expected."""
        fast = self._fast.get(name)
        if value is None or type(value) is fast:
            return value
        if fast is float and type(value) is int:
            return float(value)
        expected = self.types[name]
        found = _TYPES.get(type(value))
        if expected is None and found is not None and not (key and found in _NOT_KEYS):
            self.types[name] = expected = found
            self._learn(name)
        if expected == found or (expected == pa.float64() and found == pa.int64()):
            return float(value) if expected == pa.float64() else value
        wanted = expected or ("an integer or text" if key else "a JSON scalar")
        raise ValueError(f"field {name!r} is {value!r}: expected {wanted}")

    def events_table(self, rows: list[dict[str, Any]]) -> pa.Table:
        fields = [pa.field(k, self._type(k)) for k in self.keys]
        fields.append(pa.field(self.sview.timestamp, _TS))
        fields += [pa.field(c, self._type(c)) for c in self.sview.columns()]
        fields += [pa.field(OFFSET, pa.int64()), pa.field(LATE, pa.bool_())]
        return _table(rows, pa.schema([*fields, pa.field(INGESTED_AT, _TS)]))

    def features_table(self, rows: list[dict[str, Any]]) -> pa.Table:
        fields = [pa.field(k, self._type(k)) for k in self.keys]
        fields += [pa.field(self.sview.timestamp, _TS), pa.field(WINDOW_START, _TS)]
        for agg in self.sview.features:
            if agg.function in ("count", "distinct_count"):
                kind = pa.int64()
            elif agg.function == "last":
                kind = self._type(agg.column or "")
            else:
                kind = pa.float64()
            fields.append(pa.field(agg.name, kind))
        return _table(rows, pa.schema([*fields, pa.field(INGESTED_AT, _TS)]))

    def _type(self, name: str) -> pa.DataType:
        return self.types[name] or pa.string()  # no value seen yet: nulls only


_NOT_KEYS = (pa.bool_(), pa.float64())
_SLICE = 2048  # rows converted under one hold of the GIL


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """``from_pylist`` slice by slice: the writer thread builds these while the online
    thread runs, and one call holds the GIL throughout (about 6 ms per 10,000 rows)."""
    if len(rows) <= _SLICE:
        return pa.Table.from_pylist(rows, schema)
    parts = [
        pa.Table.from_pylist(rows[i : i + _SLICE], schema) for i in range(0, len(rows), _SLICE)
    ]
    return pa.concat_tables(parts)


def parse(
    event: Event, sview: StreamFeatureView, keys: tuple[str, ...], types: EventTypes
) -> Good | Reject:
    """The event's key, time and fields, or its quarantine record with the reason."""
    columns, per_agg = types.columns, types.per_agg
    try:
        record = json.loads(event.data)
    except (ValueError, TypeError):
        return _reject(event, sview, "not JSON")
    if not isinstance(record, dict):
        return _reject(event, sview, f"not a JSON object but a {type(record).__name__}")
    try:
        missing = [k for k in (*keys, sview.timestamp) if record.get(k) is None]
        if missing:
            raise ValueError(f"missing required field(s) {missing}")
        key = tuple([types.check(k, record[k], key=True) for k in keys])
        ts = parse_time(record[sview.timestamp], sview.timestamp)
        fields = {c: types.check(c, record.get(c)) for c in columns}
    except ValueError as exc:
        return _reject(event, sview, str(exc))
    values = tuple([fields[c] if c else None for c in per_agg])
    return Good(key, ts, values, fields, keys, sview.timestamp)


def _reject(event: Event, sview: StreamFeatureView, reason: str) -> Reject:
    text = event.data.decode("utf-8", errors="replace") if event.data else ""
    source = f"stream:{sview.stream}"
    return Reject(source, event.offset, text, reason, None, bytes(event.data or b""))


def parse_all(
    events: Sequence[Event], sview: StreamFeatureView, keys: tuple[str, ...], types: EventTypes
) -> list[Good] | None:
    """Every event parsed at once by Arrow's JSON reader, or None when the batch needs
    ``parse`` event by event (a bad event, a missing key or time, a type to check)."""
    try:
        table = pj.read_json(io.BytesIO(b"\n".join(e.data for e in events)), read_options=_READ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    if table.num_rows != len(events):
        return None
    columns = {}
    for name in (*keys, *types.columns):
        values = _column(table, name, types, key=name in keys)
        if values is None:
            return None
        columns[name] = values
    ts = _times(table, sview.timestamp)
    if ts is None:
        return None
    fields = [dict(zip(types.columns, row, strict=True)) for row in _rows(columns, types.columns)]
    key_rows = _rows(columns, keys)
    out = []
    for key, t, f in zip(key_rows, ts, fields, strict=True):
        values = tuple([f[c] if c else None for c in types.per_agg])
        out.append(Good(key, t, values, f, keys, sview.timestamp))
    return out


def _rows(columns: dict[str, list[Any]], names: Sequence[str]) -> list[tuple[Any, ...]]:
    if not names:
        return [()] * len(next(iter(columns.values()), []))
    return list(zip(*(columns[n] for n in names), strict=True))


def _column(table: pa.Table, name: str, types: EventTypes, key: bool) -> list[Any] | None:
    """The Python values of a column when its Arrow type is the expected one."""
    if name not in table.column_names:
        return None if key else [None] * table.num_rows
    column = table.column(name)
    if key and column.null_count:
        return None
    found, expected = column.type, types.types[name]
    if pa.types.is_null(found) and not key:
        return [None] * table.num_rows
    if expected is None and found in _TYPES.values() and not (key and found in _NOT_KEYS):
        types.types[name] = expected = found
        types._learn(name)
    if found == expected:
        return column.to_pylist()
    if expected == pa.float64() and found == pa.int64():
        return column.cast(pa.float64()).to_pylist()
    return None


def _times(table: pa.Table, name: str) -> list[int] | None:
    """Event times in microseconds, as ``parse_time`` computes them, for epoch numbers."""
    if name not in table.column_names:
        return None
    column = table.column(name)
    if column.null_count or not (
        pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    ):
        return None
    return [round(v * 1_000_000) for v in column.to_pylist()]


_READ = pj.ReadOptions(block_size=64 << 20)
