"""Prediction lineage: from one request id back to the rows the model was trained on.

A trace joins what the prediction log holds for the request (the endpoint configuration
version, the slot, the model version, each row's inputs, online feature values with their
feature-view versions, output and error) with the endpoint's configuration at that
version, the model version's record, its training lineage from the registry (the run, the
training sets and the table versions the run read) and any labels given since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.errors import NotFoundError

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.registry.service import Registry
    from lakeworks.serving.store import EndpointStore


@dataclass(frozen=True)
class PredictionTrace:
    """Everything that made one prediction (``to_dict`` for JSON)."""

    request_id: str
    endpoint: str
    time: str
    latency_ms: float
    configuration: dict[str, Any] | None
    model: dict[str, Any]
    training: dict[str, Any]
    rows: list[dict[str, Any]]
    feature_views: dict[str, int] = field(default_factory=dict)
    shadow: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_id(self) -> str | None:
        return self.training.get("run_id")

    @property
    def tables(self) -> list[tuple[str, int | None]]:
        """The table versions the model's run read."""
        inputs = self.training.get("inputs", [])
        return [(i["name"], i.get("version")) for i in inputs if i["kind"] == "table"]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def trace(
    ctx: Context,
    store: EndpointStore,
    registry: Registry,
    logged: pa.Table,
    labels: pa.Table,
    request_id: str,
) -> PredictionTrace:
    """The trace of ``request_id`` from its logged rows and labels."""
    answered = logged.filter(pc.field("returned"))
    if answered.num_rows == 0:
        raise NotFoundError(
            f"no prediction with request id {request_id!r} was logged in workspace "
            f"{ctx.workspace!r}",
            hint="give the request_id a prediction answered with (its X-Request-Id); "
            "predictions are logged while the setting serving_log is on",
            request_id=request_id,
        )
    rows = sorted(answered.to_pylist(), key=lambda r: r["row"])
    first = rows[0]
    name, version = first["model"], first["model_version"]
    return PredictionTrace(
        request_id=request_id,
        endpoint=first["endpoint"],
        time=first["time"].isoformat(),
        latency_ms=first["latency_ms"],
        configuration=_configuration(ctx, store, first["endpoint"], first["config_version"]),
        model=_model(ctx, registry, name, version),
        training=registry.lineage(ctx, name, version),
        rows=[_row(r) for r in rows],
        feature_views=json.loads(first["feature_views"]) if first["feature_views"] else {},
        shadow=[_row(r) | {"model": f"{r['model']}/{r['model_version']}"} for r in _shadow(logged)],
        labels=[
            {
                "row": r["row"],
                "label": json.loads(r["label"]),
                "user": r["user"],
                "time": r["time"].isoformat(),
            }
            for r in labels.sort_by("time").to_pylist()
        ],
    )


def _configuration(
    ctx: Context, store: EndpointStore, endpoint: str, version: int
) -> dict[str, Any] | None:
    try:
        return store.config(ctx.workspace, endpoint, version).to_dict()
    except NotFoundError:
        return None  # the endpoint was deleted since; the log still names the model


def _model(ctx: Context, registry: Registry, name: str, version: int) -> dict[str, Any]:
    found = registry.get_version(ctx, name, version)
    return {
        "name": found.name,
        "version": found.version,
        "ref": found.ref,
        "run_id": found.run_id,
        "source": found.source,
        "format": found.format,
        "created_by": found.created_by,
        "created_ms": found.created_ms,
        "aliases": list(found.aliases),
    }


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "row": r["row"],
        "inputs": json.loads(r["inputs"]),
        "features": json.loads(r["features"]) if r["features"] else None,
        "output": json.loads(r["output"]) if r["output"] else None,
        "error": r["error"],
    }


def _shadow(logged: pa.Table) -> list[dict[str, Any]]:
    return sorted(logged.filter(~pc.field("returned")).to_pylist(), key=lambda r: r["row"])
