"""Ground-truth labels for logged predictions, by request id or by request key, written to
the workspace's ``_feedback`` table (one row per labeled prediction row; a later label
for the same row replaces the earlier one in every metric).

Example:
    >>> labels_for(3, [1, 0, 1], None, request_id="r1")
    [(0, 1), (1, 0), (2, 1)]
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.serving import logged
from lakeworks.serving.records import FEEDBACK, FEEDBACK_SCHEMA, output_value

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables
    from lakeworks.serving.log import PredictionLog


@dataclass(frozen=True)
class Outcome:
    """How right one labeled answer was, for live health metrics: 1.0 or 0.0 for a class
    (right or wrong), minus the absolute error for a number (higher is better)."""

    slot: str
    model: str  # name/version
    value: float


@dataclass(frozen=True)
class FeedbackResult:
    """What one feedback call recorded: the request, the rows labeled, the table version,
    and each labeled row's outcome."""

    endpoint: str
    request_id: str
    rows: list[int]
    version: int
    outcomes: tuple[Outcome, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "outcomes"}


def record(
    ctx: Context,
    tables: Tables,
    log: PredictionLog | None,
    endpoint: str,
    *,
    label: Any,
    request_id: str | None = None,
    key: str | None = None,
    row: int | None = None,
) -> FeedbackResult:
    """Label the request ``request_id`` (or the latest request with ``key``) of ``endpoint``."""
    if (request_id is None) == (key is None):
        raise InvalidInputError(
            f"feedback for endpoint {endpoint!r} names a request by request_id or by key",
            hint="pass exactly one of request_id= and key=",
            endpoint=endpoint,
        )
    request_id, found = _request(ctx, tables, log, endpoint, request_id, key)
    labeled = labels_for(found.num_rows, label, row, request_id=request_id)
    now = int(time.time() * 1e6)
    data = pa.Table.from_pylist(
        [
            {
                "request_id": request_id,
                "row": i,
                "endpoint": endpoint,
                "label": _json(value, endpoint),
                "user": ctx.user,
                "time": now,
            }
            for i, value in labeled
        ],
        schema=FEEDBACK_SCHEMA,
    )
    written = tables.write(ctx, FEEDBACK, data, system=True)
    answered = {r["row"]: r for r in found.to_pylist()}
    outcomes = tuple(outcome(answered[i], value) for i, value in labeled)
    return FeedbackResult(endpoint, request_id, [i for i, _ in labeled], written.version, outcomes)


def outcome(answered: dict[str, Any], label: Any) -> Outcome:
    """The outcome of the logged row ``answered`` given its true ``label``."""
    model = f"{answered['model']}/{answered['model_version']}"
    value = output_value(answered["output"])
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (value, label))
    if value is None:
        score = 0.0
    elif numbers and (isinstance(value, float) or isinstance(label, float)):
        score = -abs(float(value) - float(label))
    else:
        score = float(value == label)
    return Outcome(answered["slot"], model, score)


def _request(
    ctx: Context,
    tables: Tables,
    log: PredictionLog | None,
    endpoint: str,
    request_id: str | None,
    key: str | None,
) -> tuple[str, pa.Table]:
    """The request's id and the rows it predicted (NotFoundError when none)."""
    found = logged.predictions(ctx, tables, log, logged.Query(endpoint, request_id, key))
    found = found.filter(pc.field("returned"))
    if found.num_rows == 0:
        what = f"request id {request_id!r}" if request_id is not None else f"key {key!r}"
        raise NotFoundError(
            f"no prediction with {what} was logged by endpoint {endpoint!r} in workspace "
            f"{ctx.workspace!r}",
            hint="give the request_id a prediction answered with (its X-Request-Id); "
            "predictions are logged while the setting serving_log is on",
            endpoint=endpoint,
            request_id=request_id,
            key=key,
        )
    if request_id is None:  # by key: the latest request with that key
        latest = pc.index(found.column("time"), pc.max(found.column("time")))
        request_id = found.column("request_id")[latest.as_py()].as_py()
        found = found.filter(pc.equal(found.column("request_id"), request_id))
    return request_id, found


def labels_for(rows: int, label: Any, row: int | None, *, request_id: str) -> list[tuple[int, Any]]:
    """(row, label) pairs: a list labels every row, one label labels ``row`` (or the
    request's only row)."""
    if isinstance(label, list | tuple):
        if row is not None or len(label) != rows:
            raise InvalidInputError(
                f"request {request_id!r} predicted {rows} row(s): a list of labels needs one "
                f"per row and no row=, found {len(label)} label(s)",
                expected=rows,
                found=len(label),
            )
        return list(enumerate(label))
    if row is None and rows != 1:
        raise InvalidInputError(
            f"request {request_id!r} predicted {rows} rows: say which with row=, or give a "
            "list of labels, one per row",
            expected="row= or a list",
            found=label,
        )
    row = 0 if row is None else row
    if not 0 <= row < rows:
        raise InvalidInputError(
            f"request {request_id!r} predicted {rows} row(s): row {row} is out of range",
            expected=f"0..{rows - 1}",
            found=row,
        )
    return [(row, label)]


def _json(value: Any, endpoint: str) -> str:
    if value is None or not isinstance(value, str | int | float | bool):
        raise InvalidInputError(
            f"a label for endpoint {endpoint!r} is a string, number or boolean",
            expected="string, number or boolean",
            found=type(value).__name__,
        )
    return json.dumps(value)
