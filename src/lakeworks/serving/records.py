"""What the prediction log and the feedback API write: one row per predicted row in the
workspace's ``_predictions`` table, one row per label in its ``_feedback`` table.

Inputs, features and outputs are JSON text, so one table holds every endpoint and every
model version whatever their columns (DuckDB reads them with ``inputs->>'age'``).

Example:
    >>> PREDICTIONS_SCHEMA.field("request_id").type
    DataType(large_string)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from lakeworks.serving.prediction import Prediction

PREDICTIONS = "_predictions"
FEEDBACK = "_feedback"
WRITER = "lakeworks-serving"  # the user the prediction log writes as
_TIME = pa.timestamp("us", tz="UTC")

PREDICTIONS_SCHEMA = pa.schema(
    [
        ("request_id", pa.large_string()),
        ("row", pa.int32()),
        ("endpoint", pa.large_string()),
        ("config_version", pa.int64()),
        ("slot", pa.large_string()),
        ("model", pa.large_string()),
        ("model_version", pa.int64()),
        ("returned", pa.bool_()),  # False: a shadow's answer, logged and never returned
        ("key", pa.large_string()),
        ("inputs", pa.large_string()),
        ("features", pa.large_string()),
        ("feature_views", pa.large_string()),
        ("output", pa.large_string()),
        ("error", pa.large_string()),
        ("latency_ms", pa.float64()),
        ("time", _TIME),
    ]
)

FEEDBACK_SCHEMA = pa.schema(
    [
        ("request_id", pa.large_string()),
        ("row", pa.int32()),
        ("endpoint", pa.large_string()),
        ("label", pa.large_string()),  # JSON: a class, a number, a string
        ("user", pa.large_string()),
        ("time", _TIME),
    ]
)


@dataclass(frozen=True)
class LogEntry:
    """One answered request, as the serving service hands it to the log (cheap to make:
    the rows are turned into JSON later, on the log's writer thread)."""

    workspace: str
    prediction: Prediction
    inputs: pa.Table
    key: str | None
    latency_ms: float
    time_us: int
    returned: bool = True
    features: pa.Table | None = None
    feature_views: dict[str, int] = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        return self.prediction.request_id


def rows_of(entry: LogEntry) -> list[dict[str, Any]]:
    """The ``_predictions`` rows of one entry, one per predicted row."""
    p = entry.prediction
    model, _, version = p.model.rpartition("/")
    inputs = entry.inputs.to_pylist()
    features = entry.features.to_pylist() if entry.features is not None else None
    views = _json(entry.feature_views) if entry.feature_views else None
    return [
        {
            "request_id": p.request_id,
            "row": i,
            "endpoint": p.endpoint,
            "config_version": p.config_version,
            "slot": p.slot,
            "model": model,
            "model_version": int(version),
            "returned": entry.returned,
            "key": entry.key,
            "inputs": _json(inputs[i]),
            "features": _json(features[i]) if features is not None else None,
            "feature_views": views,
            "output": _json(p.outputs[i]) if p.outputs[i] is not None else None,
            "error": p.errors[i],
            "latency_ms": entry.latency_ms,
            "time": entry.time_us,
        }
        for i in range(len(inputs))
    ]


def app_id_of(log_id: str) -> str:
    """The Delta transaction app id of prediction log ``log_id``'s commits."""
    return f"lakeworks.predictions:{log_id}"


def table_of_entries(entries: list[LogEntry]) -> pa.Table:
    rows = [row for entry in entries for row in rows_of(entry)]
    return pa.Table.from_pylist(rows, schema=PREDICTIONS_SCHEMA)


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def output_value(output: str | None) -> Any:
    """The answer in an ``output`` cell: the first field of the output row (``prediction``)."""
    if output is None:
        return None
    values = json.loads(output)
    return next(iter(values.values()), None) if isinstance(values, dict) else values


def escaped(text: str) -> str:
    """``text`` as a SQL string literal for a ``where`` filter."""
    return "'" + text.replace("'", "''") + "'"
