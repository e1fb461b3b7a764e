"""What the prediction log and the feedback API write: one row per predicted row in the
workspace's ``_predictions`` table, one row per label in its ``_feedback`` table.

Inputs, features and outputs are JSON text, so one table holds every endpoint and every
model version whatever their columns (DuckDB reads them with ``inputs->>'age'``).

``score`` is a binary classifier's probability of the positive class for the row (null
for other models and for tables written before the column existed), computed when the
entries are turned into rows, on the log's writer thread: one ``predict_proba`` per model
per batch, off the request path. Live AUC is computed from it once labels arrive.

Example:
    >>> PREDICTIONS_SCHEMA.field("request_id").type
    DataType(large_string)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from lakeworks.registry.predictor import Predictor
    from lakeworks.serving.prediction import Prediction

log = logging.getLogger("lakeworks.serving.log")

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
        ("score", pa.float64()),  # a binary classifier's positive-class probability
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
    predictor: Predictor | None = None  # the model that answered, for the rows' scores

    @property
    def request_id(self) -> str:
        return self.prediction.request_id


def rows_of(entry: LogEntry, scores: list[float] | None = None) -> list[dict[str, Any]]:
    """The ``_predictions`` rows of one entry, one per predicted row (``scores``: each
    row's positive-class probability; a row the model failed has none)."""
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
            "score": scores[i] if scores is not None and p.outputs[i] is not None else None,
        }
        for i in range(len(inputs))
    ]


def app_id_of(log_id: str) -> str:
    """The Delta transaction app id of prediction log ``log_id``'s commits."""
    return f"lakeworks.predictions:{log_id}"


def table_of_entries(entries: list[LogEntry]) -> pa.Table:
    scores = scores_of(entries)
    rows = [row for entry in entries for row in rows_of(entry, scores.get(id(entry)))]
    return pa.Table.from_pylist(rows, schema=PREDICTIONS_SCHEMA)


def scores_of(entries: list[LogEntry]) -> dict[int, list[float]]:
    """Each scored entry's rows' scores (by ``id`` of the entry): one ``predict_proba``
    over the inputs of every entry a binary classifier answered, per model; if that call
    fails (a row the model cannot take), entry by entry, and an entry that fails alone
    has no scores (its answer is logged all the same)."""
    by_model: dict[int, list[LogEntry]] = {}
    for entry in entries:
        if entry.predictor is not None and entry.predictor.binary and entry.inputs.num_rows:
            by_model.setdefault(id(entry.predictor), []).append(entry)
    found: dict[int, list[float]] = {}
    for group in by_model.values():
        predictor = group[0].predictor
        assert predictor is not None
        try:
            inputs = pa.concat_tables([e.inputs for e in group], promote_options="permissive")
            values = predictor.scores(inputs)
        except Exception:  # one entry spoils the batch: score them one by one
            found |= _one_by_one(predictor, group)
            continue
        start = 0
        for entry in group if values is not None else ():
            found[id(entry)] = values[start : start + entry.inputs.num_rows].tolist()
            start += entry.inputs.num_rows
    return found


def _one_by_one(predictor: Predictor, entries: list[LogEntry]) -> dict[int, list[float]]:
    found = {}
    for entry in entries:
        try:
            alone = predictor.scores(entry.inputs)
        except Exception as exc:
            log.debug("no scores for request %s: %s", entry.request_id, exc)
            continue
        if alone is not None:
            found[id(entry)] = alone.tolist()
    return found


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
