"""Watermarks of incremental loads: filtering batches, tracking the maximum, storing it.

A watermark is stored in the loads catalog as text plus its Arrow type (in ``details``),
and turned back into a typed Python value to filter the next load.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.errors import InvalidInputError
from lakeworks.ingest.base import Watermark


def encode(value: Any) -> str:
    """The text form stored in the catalog."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def decode(text: str, type_name: str | None) -> Any:
    """The typed value back from ``encode``'s text and the column's Arrow type name."""
    kind = (type_name or "string").split("[")[0]
    if kind.startswith(("int", "uint")):
        return int(text)
    if kind.startswith("decimal"):
        return Decimal(text)
    if kind in {"double", "float", "halffloat"}:
        return float(text)
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    if kind.startswith("date"):
        return date.fromisoformat(text)
    return text


def check_column(column: str, names: list[str], source: str) -> None:
    if column not in names:
        raise InvalidInputError(
            f"incremental_by column {column!r} is not in {source}",
            hint=f"the source has columns {names}",
            column=column,
        )


def newer(batch: pa.RecordBatch, watermark: Watermark | None) -> pa.RecordBatch:
    """The rows of ``batch`` whose watermark column is greater than the last watermark."""
    if watermark is None or watermark.value is None:
        return batch
    column = batch.column(watermark.column)
    try:
        bound = pa.scalar(watermark.value).cast(column.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InvalidInputError(
            f"the stored watermark {watermark.value!r} does not compare with column "
            f"{watermark.column!r} of type {column.type}",
            column=watermark.column,
        ) from exc
    mask = pc.fill_null(pc.greater(column, bound), False)
    return batch.filter(mask)


class Tracker:
    """Passes batches through while keeping the maximum of the watermark column."""

    def __init__(self, column: str | None) -> None:
        self.column = column
        self.maximum: Any = None
        self.type: pa.DataType | None = None

    def track(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if self.column is not None and batch.num_rows:
                self._see(batch)
            yield batch

    def _see(self, batch: pa.RecordBatch) -> None:
        check_column(self.column, batch.schema.names, "the data")
        column = batch.column(self.column)
        self.type = column.type
        top = pc.max(column).as_py()
        if top is not None and (self.maximum is None or top > self.maximum):
            self.maximum = top
