"""Python records (JSON objects, database rows) into Arrow batches of one fixed schema.

The schema is fixed by the first chunk: declared types and the target table's types win,
the rest is inferred. A later record whose value cannot be converted to its column's type,
or that has a field the schema lacks, becomes a Reject instead of failing the load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from lakeworks.ingest.base import Reject

_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


@dataclass(frozen=True)
class Record:
    """One input record: where it came from, its raw text, and its parsed value."""

    line: int | None
    raw: str
    value: Any


def raw_text(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


class RecordConverter:
    """Converts chunks of records to batches; one instance per load and source."""

    def __init__(
        self, source: str, hints: dict[str, pa.DataType], schema: pa.Schema | None = None
    ) -> None:
        self.source = source
        self.hints = hints
        self.schema = schema

    def convert(self, records: Sequence[Record]) -> tuple[pa.RecordBatch | None, list[Reject]]:
        """The good records as one batch (None when there are none) and the rejects."""
        rejects = [
            self._reject(r, "the record is not a JSON object")
            for r in records
            if not isinstance(r.value, dict)
        ]
        rows = [r for r in records if isinstance(r.value, dict)]
        if not rows:
            return None, rejects
        if self.schema is None:
            self.schema = self._infer([r.value for r in rows])
        try:
            return self._batch([r.value for r in rows]), rejects
        except _ARROW_ERRORS:
            good = []
            for record in rows:
                reason, column = self._problem(record.value)
                if reason is None:
                    good.append(record.value)
                else:
                    rejects.append(self._reject(record, reason, column))
            return (self._batch(good) if good else None), rejects

    def _batch(self, rows: list[dict[str, Any]]) -> pa.RecordBatch:
        extra = {k for row in rows for k in row} - set(self.schema.names)
        if extra:
            raise pa.ArrowInvalid(f"unexpected fields {sorted(extra)}")
        arrays = [to_array([row.get(f.name) for row in rows], f.type) for f in self.schema]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _problem(self, row: dict[str, Any]) -> tuple[str | None, str | None]:
        extra = [k for k in row if k not in self.schema.names]
        if extra:
            return (
                f"unexpected field(s) {extra}: not in the schema "
                f"{self.schema.names} (declare them with schema=...)"
            ), ",".join(extra)
        for f in self.schema:
            value = row.get(f.name)
            try:
                to_array([value], f.type)
            except _ARROW_ERRORS:
                return f"column {f.name!r}: cannot convert {value!r} to {f.type}", f.name
        return None, None

    def _infer(self, rows: list[dict[str, Any]]) -> pa.Schema:
        names = list(dict.fromkeys(k for row in rows for k in row))
        return pa.schema(
            [pa.field(n, self.hints.get(n) or infer_type([r.get(n) for r in rows])) for n in names]
        )

    def _reject(self, record: Record, reason: str, column: str | None = None) -> Reject:
        return Reject(self.source, record.line, record.raw, reason, column)


def infer_type(values: list[Any]) -> pa.DataType:
    """The Arrow type for a column of Python values; strings when mixed or all null."""
    try:
        t = pa.array(values).type
    except _ARROW_ERRORS:
        return pa.string()
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_decimal(t):
        return pa.decimal128(38, max(t.scale, 9))
    return t


def to_array(values: list[Any], t: pa.DataType) -> pa.Array:
    """Convert values to type ``t`` without losing information, or raise an Arrow error.

    Strings accept any value (non-strings as their JSON text); numbers in strings are
    parsed for numeric columns; 2.5 never silently becomes the integer 2.
    """
    if pa.types.is_string(t):
        return pa.array(
            [v if v is None or isinstance(v, str) else raw_text(v) for v in values], pa.string()
        )
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = [
            float(v) if isinstance(v, Decimal) and pa.types.is_floating(t) else v for v in values
        ]
    try:
        array = pa.array(values)
    except _ARROW_ERRORS:  # mixed Python types: convert value by value
        if len(values) == 1:
            raise
        return pa.concat_arrays([to_array([v], t) for v in values])
    return array if array.type == t else array.cast(t)
