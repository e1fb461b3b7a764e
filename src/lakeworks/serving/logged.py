"""Reading the prediction log and the feedback table of a workspace: the rows already in
the Delta tables plus those the log still buffers (a request answered a moment ago, or
while the table was unavailable, is found all the same).

Example:
    >>> Query(endpoint="churn", request_id="a'b").sql()
    "endpoint = 'churn' AND request_id = 'a''b'"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.serving.records import (
    FEEDBACK,
    FEEDBACK_SCHEMA,
    PREDICTIONS,
    PREDICTIONS_SCHEMA,
    LogEntry,
    escaped,
    table_of_entries,
)

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables
    from lakeworks.serving.log import PredictionLog


@dataclass(frozen=True)
class Query:
    """Which logged rows: of an endpoint, a request, a key, since a time (all optional)."""

    endpoint: str | None = None
    request_id: str | None = None
    key: str | None = None
    since_us: int | None = None

    def sql(self) -> str | None:
        terms = [
            f"{column} = {escaped(value)}"
            for column, value in (
                ("endpoint", self.endpoint),
                ("request_id", self.request_id),
                ("key", self.key),
            )
            if value is not None
        ]
        if self.since_us is not None:
            since = datetime.fromtimestamp(self.since_us / 1e6, UTC).isoformat()
            terms.append(f"time >= CAST({escaped(since)} AS TIMESTAMPTZ)")
        return " AND ".join(terms) or None

    def keeps(self, entry: LogEntry) -> bool:
        p = entry.prediction
        return (
            (self.endpoint is None or p.endpoint == self.endpoint)
            and (self.request_id is None or p.request_id == self.request_id)
            and (self.key is None or entry.key == self.key)
            and (self.since_us is None or entry.time_us >= self.since_us)
        )


def predictions(ctx: Context, tables: Tables, log: PredictionLog | None, query: Query) -> pa.Table:
    """The logged rows ``query`` selects, written or still buffered.

    The buffer is looked at first: an entry written between the two looks is then found
    in the table (and kept once), never in neither.
    """
    buffered = [] if log is None else log.pending()
    written = _read(ctx, tables, PREDICTIONS, PREDICTIONS_SCHEMA, query.sql())
    seen = set(written.column("request_id").to_pylist()) if buffered else set()
    pending = [
        e
        for e in buffered
        if e.workspace == ctx.workspace and query.keeps(e) and e.request_id not in seen
    ]
    if not pending:
        return written
    return pa.concat_tables([written, table_of_entries(pending)])


def inputs_of(rows: pa.Table, model: str, version: int, limit: int) -> pa.Table | None:
    """The input rows (``inputs`` JSON as columns) that model ``model/version`` answered
    in logged ``rows``, the latest ``limit`` of them; None when there are none or their
    columns clash (a column sent as a number by some requests and text by others)."""
    mine = rows.filter((pc.field("model") == model) & (pc.field("model_version") == version))
    if mine.num_rows == 0 or limit <= 0:
        return None
    mine = mine.sort_by("time").slice(max(0, mine.num_rows - limit))
    try:
        return pa.Table.from_pylist([json.loads(t) for t in mine.column("inputs").to_pylist()])
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def feedback(ctx: Context, tables: Tables, query: Query) -> pa.Table:
    """The labels given for the requests ``query`` selects (by endpoint and request id)."""
    return _read(ctx, tables, FEEDBACK, FEEDBACK_SCHEMA, query.sql())


def _read(
    ctx: Context, tables: Tables, name: str, schema: pa.Schema, where: str | None
) -> pa.Table:
    """The rows of ``name`` as ``schema``; a column the table predates (``score``, added
    later to ``_predictions``) reads as nulls."""
    if not tables.exists(ctx, name):
        return schema.empty_table()
    found = tables.read(ctx, name, where=where)
    for column in schema:
        if column.name not in found.column_names:
            found = found.append_column(column.name, pa.nulls(found.num_rows, column.type))
    return found.select(schema.names).cast(schema)
