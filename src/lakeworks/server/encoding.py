"""Arrow values as JSON: the one place that decides how each type is written.

Datetimes, dates and times become ISO 8601 strings, decimals strings (no precision lost),
binary base64, durations seconds, month-day-nano intervals objects, NaN and infinities
null. Lists and structs are encoded recursively; maps become objects.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa

JsonValue = None | bool | int | float | str | list[Any] | dict[str, Any]

_ENCODERS: dict[type, Any] = {
    dt.datetime: lambda v: v.isoformat(),
    dt.date: lambda v: v.isoformat(),
    dt.time: lambda v: v.isoformat(),
    dt.timedelta: lambda v: v.total_seconds(),
    Decimal: lambda v: None if not v.is_finite() else str(v),
    bytes: lambda v: base64.b64encode(v).decode("ascii"),
    float: lambda v: v if math.isfinite(v) else None,
    pa.MonthDayNano: lambda v: {"months": v.months, "days": v.days, "nanoseconds": v.nanoseconds},
}


def jsonable(value: Any) -> JsonValue:
    """One Python value from ``pyarrow`` ``to_pylist()`` as a JSON-safe value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    encoder = _ENCODERS.get(type(value))
    if encoder is not None:
        return encoder(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(p, tuple) and len(p) == 2 for p in value):
            return {str(k): jsonable(v) for k, v in value}  # an Arrow map: (key, value) pairs
        return [jsonable(v) for v in value]
    for kind, encode in _ENCODERS.items():  # subclasses, e.g. pandas Timestamp
        if isinstance(value, kind):
            return encode(value)
    return str(value)


def row_lists(batches: Iterator[pa.RecordBatch] | pa.Table) -> Iterator[list[JsonValue]]:
    """Rows as lists of JSON-safe values, in column order."""
    items = batches.to_batches() if isinstance(batches, pa.Table) else batches
    for batch in items:
        columns = [column.to_pylist() for column in batch.columns]
        for row in zip(*columns, strict=True):
            yield [jsonable(v) for v in row]
