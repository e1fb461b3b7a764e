"""A prediction log entry as the spool stores it: small enough to write on the request
path in microseconds, complete enough to rebuild the entry in another process.

The answer's fields go in a short JSON header; the input (and feature) rows stay Arrow,
written as IPC messages (a schema, then one record batch), because turning a 20-column
row into Python objects costs several times more than the whole append (measured in
``benchmarks/prediction_log.py``). The layout is ``u32 length | header`` then per table
``u32 length | schema | u32 length | batch``.

Example:
    >>> import pyarrow as pa
    >>> from lakeworks.serving.prediction import Prediction
    >>> answer = Prediction("r1", "churn", 2, "live", "churn/1", [{"p": 1}], [None])
    >>> entry = LogEntry("default", answer, pa.table({"age": [40]}), "k", 1.5, 7)
    >>> entry_of(EntryWriter().bytes_of(entry)) == entry
    True
"""

from __future__ import annotations

import json
import struct
from typing import Any

import pyarrow as pa

from lakeworks.serving.prediction import Prediction
from lakeworks.serving.records import LogEntry

LENGTH = struct.Struct("<I")


class EntryWriter:
    """Encodes entries; keeps the bytes of the last schema it wrote (one endpoint's
    requests share theirs). The memo is keyed by the schema's value, compared on every
    call, so a different schema simply replaces it."""

    def __init__(self) -> None:
        # one attribute, replaced whole: request threads share it without a lock
        self._memo: tuple[pa.Schema, bytes] | None = None

    def bytes_of(self, entry: LogEntry) -> bytes:
        p = entry.prediction
        header = [
            entry.workspace, p.request_id, p.endpoint, p.config_version, p.slot, p.model,
            p.outputs, p.errors, entry.key, entry.latency_ms, entry.time_us, entry.returned,
            entry.feature_views, entry.features is not None,
        ]  # fmt: skip
        text = json.dumps(header, default=str, separators=(",", ":")).encode()
        parts = [LENGTH.pack(len(text)), text, *self._table(entry.inputs)]
        if entry.features is not None:
            parts += self._table(entry.features)
        return b"".join(parts)

    def _table(self, table: pa.Table) -> list[Any]:
        batches = table.to_batches()
        if len(batches) != 1:
            batches = table.combine_chunks().to_batches() or [
                pa.RecordBatch.from_pylist([], schema=table.schema)
            ]
        memo = self._memo
        if memo is None or not table.schema.equals(memo[0], check_metadata=True):
            memo = self._memo = (table.schema, table.schema.serialize().to_pybytes())
        schema = memo[1]
        batch = batches[0].serialize()  # joined without a copy to bytes first
        return [LENGTH.pack(len(schema)), schema, LENGTH.pack(batch.size), batch]


def entry_of(data: bytes) -> LogEntry:
    """The entry ``EntryWriter.bytes_of`` wrote."""
    at, text = _part(data, 0)
    (workspace, request_id, endpoint, config_version, slot, model, outputs, errors, key,
     latency_ms, time_us, returned, feature_views, has_features) = json.loads(text)  # fmt: skip
    at, inputs = _table(data, at)
    features = _table(data, at)[1] if has_features else None
    answer = Prediction(request_id, endpoint, config_version, slot, model, outputs, errors)
    return LogEntry(
        workspace, answer, inputs, key, latency_ms, time_us, returned, features, feature_views
    )


def _part(data: bytes, at: int) -> tuple[int, bytes]:
    (length,) = LENGTH.unpack_from(data, at)
    start = at + LENGTH.size
    return start + length, data[start : start + length]


def _table(data: bytes, at: int) -> tuple[int, Any]:
    at, schema_bytes = _part(data, at)
    at, batch_bytes = _part(data, at)
    schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
    batch = pa.ipc.read_record_batch(pa.py_buffer(batch_bytes), schema)
    return at, pa.Table.from_batches([batch], schema=schema)
