"""MLflow's JSON shapes of tracking records (proto3 JSON field names, as the client parses).

Ids the protocol types as strings are strings (``experiment_id``), times are int64
milliseconds, doubles that JSON cannot carry are the strings ``NaN`` / ``Infinity`` /
``-Infinity``. Artifact locations are always ``mlflow-artifacts:`` URIs, so the client
uploads and downloads through this server's artifact routes (``artifacts.py``) into the
workspace's content-addressed store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

ARTIFACTS_SCHEME = "mlflow-artifacts:"
DATASET = "mlflow_dataset"  # the run input kind of a dataset an MLflow client logged


def double(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def pairs(values: Mapping[str, str], name: str = "key") -> list[dict[str, str]]:
    return [{name: key, "value": value} for key, value in values.items()]


def experiment_location(experiment_id: int | str) -> str:
    return f"{ARTIFACTS_SCHEME}/{experiment_id}"


def run_location(experiment_id: int | str, run_id: str) -> str:
    return f"{experiment_location(experiment_id)}/{run_id}/artifacts"


def experiment(e: Any) -> dict[str, Any]:
    return {
        "experiment_id": str(e.id),
        "name": e.name,
        "artifact_location": experiment_location(e.id),
        "lifecycle_stage": e.lifecycle_stage,
        "last_update_time": e.updated_at,
        "creation_time": e.created_at,
        "tags": pairs(e.tags),
    }


def metric(m: Any) -> dict[str, Any]:
    return {"key": m.key, "value": double(m.value), "timestamp": m.timestamp, "step": m.step}


def run_info(i: Any) -> dict[str, Any]:
    info = {
        "run_id": i.id,
        "run_uuid": i.id,
        "run_name": i.name,
        "experiment_id": str(i.experiment_id),
        "user_id": i.user_id,
        "status": i.status,
        "start_time": i.start_time,
        "artifact_uri": run_location(i.experiment_id, i.id),
        "lifecycle_stage": i.lifecycle_stage,
    }
    if i.end_time is not None:
        info["end_time"] = i.end_time
    return info


def run(r: Any, inputs: Iterable[Any] = ()) -> dict[str, Any]:
    """A run; ``inputs``: its recorded inputs, of which MLflow datasets are shown."""
    return {
        "info": run_info(r.info),
        "data": {
            "metrics": [metric(m) for m in r.metrics.values()],
            "params": pairs(r.params),
            "tags": pairs(r.tags),
        },
        "inputs": {"dataset_inputs": [dataset_input(i) for i in inputs if i.kind == DATASET]},
    }


def dataset_input(i: Any) -> dict[str, Any]:
    detail = dict(i.detail or {})
    tags = detail.pop("tags", {})
    return {"tags": pairs(tags), "dataset": {"name": i.name, **detail}}


def file_info(path: str, is_dir: bool, size: int | None) -> dict[str, Any]:
    found: dict[str, Any] = {"path": path, "is_dir": is_dir}
    if not is_dir and size is not None:
        found["file_size"] = size
    return found


def model_location(experiment_id: int | str, model_id: str) -> str:
    return f"{experiment_location(experiment_id)}/models/{model_id}/artifacts"


def logged_model(m: Any) -> dict[str, Any]:
    info = {
        "model_id": m.id,
        "experiment_id": str(m.experiment_id),
        "name": m.name,
        "creation_timestamp_ms": m.created_at,
        "last_updated_timestamp_ms": m.updated_at,
        "artifact_uri": model_location(m.experiment_id, m.id),
        "status": f"LOGGED_MODEL_{m.status}",
        "tags": pairs(m.tags),
    }
    optional = {"model_type": m.model_type, "source_run_id": m.source_run_id}
    info.update({k: v for k, v in optional.items() if v})
    if m.status_message:
        info["status_message"] = m.status_message
    return {"info": info, "data": {"params": pairs(m.params), "metrics": []}}
