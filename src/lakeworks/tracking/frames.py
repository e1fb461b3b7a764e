"""Runs as a pandas frame, in the columns MLflow's ``search_runs`` gives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lakeworks.tracking.records import Run

_INFO = ["run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "user_id"]


def runs_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One row a run: info columns, then ``metrics.*``, ``params.*`` and ``tags.*``.
    Times are UTC timestamps; a run without a metric, param or tag has NaN / None there."""
    rows: list[dict[str, Any]] = []
    for run in runs:
        row: dict[str, Any] = {
            "run_id": run.id,
            "experiment_id": run.info.experiment_id,
            "run_name": run.info.name,
            "status": run.info.status,
            "start_time": run.info.start_time,
            "end_time": run.info.end_time,
            "user_id": run.info.user_id,
        }
        row.update({f"metrics.{k}": m.value for k, m in run.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.params.items()})
        row.update({f"tags.{k}": v for k, v in run.tags.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_columns(rows))
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    return frame


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen = {key for row in rows for key in row}
    extra = [
        k
        for prefix in ("metrics.", "params.", "tags.")
        for k in sorted(seen)
        if k.startswith(prefix)
    ]
    return _INFO + extra
