"""Endpoint drift: the inputs and predictions a slot's model answered in a window, against
the model version's training reference, through the monitoring statistics.

The reference is, first found: the table passed in (``orders``, ``orders@v3``); the table
set on the model version (``set_reference``, kept as the version's tag
``lakeworks.drift_reference``); the first table version the version's run read (its
training data, as tracking records it). Its model inputs (the signature's columns) are
read, up to ``REFERENCE_ROWS`` rows, and the slot's model predicts them: that is the
reference of the ``prediction`` column.

Example:
    >>> parse_reference("orders@v3")
    ('orders', 3)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeworks.errors import InvalidInputError
from lakeworks.monitoring.report import Side
from lakeworks.serving.records import output_value

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables
    from lakeworks.monitoring import DriftReport
    from lakeworks.registry.predictor import Predictor
    from lakeworks.registry.records import ModelVersion
    from lakeworks.registry.service import Registry

REFERENCE_TAG = "lakeworks.drift_reference"
REFERENCE_ROWS = 100_000
PREDICTION = "prediction"
_AT = re.compile(r"^(?P<table>[a-z_][a-z0-9_]*)(?:@v(?P<version>\d+))?$")


@dataclass(frozen=True)
class EndpointDrift:
    """The drift report of one slot of an endpoint over a window (``report`` holds the
    verdict per feature and for ``prediction``)."""

    endpoint: str
    slot: str
    model: str
    window: str
    reference: str
    requests: int
    report: DriftReport

    @property
    def drifted(self) -> bool:
        return self.report.drifted

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "slot": self.slot,
            "model": self.model,
            "window": self.window,
            "requests": self.requests,
            **self.report.to_dict(),  # its reference names the table: self.reference
        }


def parse_reference(text: str) -> tuple[str, int | None]:
    """``table`` or ``table@vN``."""
    found = _AT.match(text)
    if found is None:
        raise InvalidInputError(
            f"a drift reference is a table or table@vN, not {text!r}",
            hint="for example churn_training@v3",
            expected="table or table@vN",
            found=text,
        )
    version = found.group("version")
    return found.group("table"), int(version) if version is not None else None


def reference_of(ctx: Context, registry: Registry, version: ModelVersion, given: str | None) -> str:
    """The reference table (``table@vN``) of ``version``: see the module docstring."""
    if given is not None:
        return given
    if REFERENCE_TAG in version.tags:
        return version.tags[REFERENCE_TAG]
    lineage = registry.lineage(ctx, version.name, version.version)
    for found in lineage["inputs"]:
        if found["kind"] == "table" and found.get("workspace") in (None, ctx.workspace):
            suffix = f"@v{found['version']}" if found.get("version") is not None else ""
            return f"{found['name']}{suffix}"
    raise InvalidInputError(
        f"model {version.ref} has no training reference to measure drift against: its run "
        "recorded no table it read",
        hint=f"set one with ws.monitor(endpoint).set_reference('table@vN') or pass "
        f"reference= (it becomes the tag {REFERENCE_TAG} of {version.ref})",
        model=version.ref,
    )


def reference_table(
    ctx: Context, tables: Tables, reference: str, predictor: Predictor, features: list[str]
) -> pa.Table:
    """The reference's feature columns (at most ``REFERENCE_ROWS``) and the model's
    predictions of them."""
    name, version = parse_reference(reference)
    have = set(tables.describe(ctx, name).schema.names) if version is None else None
    if have is None:
        have = set(tables.read(ctx, name, version=version, limit=0).column_names)
    columns = [f for f in features if f in have]
    if not columns:
        raise InvalidInputError(
            f"the drift reference {reference} has none of the model's inputs {features}",
            hint="set a reference table holding the model's input columns",
            reference=reference,
        )
    data = tables.read(ctx, name, version=version, columns=columns, limit=REFERENCE_ROWS)
    predicted = predictor.predict(data)
    return data.append_column(PREDICTION, predicted.column(0))


def current_table(logged: pa.Table, features: list[str], like: pa.Schema) -> pa.Table:
    """The logged rows' inputs (``features``) and answers, typed as ``like`` where the
    values allow it."""
    rows = [json.loads(text) for text in logged.column("inputs").to_pylist()]
    columns: dict[str, pa.Array] = {}
    for name in features:
        if name not in like.names:
            continue
        values = pa.array([row.get(name) for row in rows])
        columns[name] = _typed(values, like.field(name).type)
    answers = pa.array([output_value(o) for o in logged.column("output").to_pylist()])
    columns[PREDICTION] = _typed(answers, like.field(PREDICTION).type)
    return pa.table(columns)


def named(report: DriftReport, reference: str, current: str) -> DriftReport:
    """``report`` with its sides named: the reference table and the requests compared."""
    table, version = parse_reference(reference)
    return replace(
        report,
        reference=Side(reference, report.reference.rows, table, version),
        current=Side(current, report.current.rows),
    )


def _typed(values: pa.Array, kind: pa.DataType) -> pa.Array:
    try:
        return values.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return values  # the comparison names the column and both types
