"""The one write path of run data: metrics, params and tags of a batch, in one transaction.

- A metric point is the whole row (run, key, step, timestamp, value, is_nan): the same point
  logged twice (a client's retry) is stored once. NaN is stored as 0 with ``is_nan``; ±inf
  as is. ``latest_metrics`` follows in the same transaction, by MLflow's rule (greatest
  step, then greatest timestamp, then greatest value).
- A param is written once: the same value again is fine, a different value is an error
  naming the key and both values, and nothing of the batch is written.
- A tag is overwritten by a later value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lakeworks.errors import InvalidInputError
from lakeworks.meta.models import LatestMetricRow, MetricRow, ParamRow, RunTagRow
from lakeworks.tracking.names import MAX_PARAM_VALUE_LENGTH, check_key
from lakeworks.tracking.records import Metric, now_ms
from lakeworks.tracking.upserts import insert_ignore, upsert


def metric_rows(run_id: str, metrics: Iterable[Metric]) -> list[dict[str, Any]]:
    rows, now = [], None
    for m in metrics:
        check_key("metric", m.key)
        value = _number(m)
        if m.timestamp is None:
            now = now or now_ms()
        nan = math.isnan(value)
        rows.append(
            {
                "run_id": run_id,
                "key": m.key,
                "step": int(m.step or 0),
                "timestamp": int(now if m.timestamp is None else m.timestamp),
                "value": 0.0 if nan else value,
                "is_nan": nan,
            }
        )
    return rows


def write_metrics(s: Session, rows: list[dict[str, Any]]) -> None:
    insert_ignore(s, MetricRow, rows)
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen = latest.get(row["key"])
        if seen is None or _order(row) > _order(seen):
            latest[row["key"]] = row
    upsert(s, LatestMetricRow, list(latest.values()), ["run_id", "key"], where=_is_later)


def write_params(s: Session, run_id: str, params: Iterable[tuple[str, Any]]) -> None:
    wanted: dict[str, str] = {}
    for key, value in params:
        check_key("param", key)
        text = _param_value(key, value)
        if wanted.setdefault(key, text) != text:
            raise _param_changed(run_id, key, wanted[key], text)
    if not wanted:
        return
    rows = [{"run_id": run_id, "key": k, "value": v} for k, v in wanted.items()]
    insert_ignore(s, ParamRow, rows)
    stored = s.execute(
        select(ParamRow.key, ParamRow.value).where(
            ParamRow.run_id == run_id, ParamRow.key.in_(list(wanted))
        )
    )
    for key, value in stored:
        if value != wanted[key]:
            raise _param_changed(run_id, key, value, wanted[key])


def write_tags(s: Session, run_id: str, tags: Iterable[tuple[str, Any]]) -> None:
    rows = {k: {"run_id": run_id, "key": check_key("tag", k), "value": str(v)} for k, v in tags}
    upsert(s, RunTagRow, list(rows.values()), ["run_id", "key"])


def _number(m: Metric) -> float:
    try:
        return float(m.value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"metric {m.key!r} must be a number, got {m.value!r}",
            key=m.key,
            expected="number",
            found=type(m.value).__name__,
        ) from None


def _param_value(key: str, value: Any) -> str:
    text = str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidInputError(
            f"param {key!r} is {len(text)} characters long",
            hint=f"params hold at most {MAX_PARAM_VALUE_LENGTH}; log long text as an artifact",
            key=key,
        )
    return text


def _param_changed(run_id: str, key: str, old: str, new: str) -> InvalidInputError:
    return InvalidInputError(
        f"param {key!r} of run {run_id} is already {old!r}; it cannot change to {new!r}",
        hint="params are written once; log a metric or a tag for values that change",
        run=run_id,
        key=key,
        expected=old,
        found=new,
    )


def _order(row: dict[str, Any]) -> tuple[int, int, float]:
    return row["step"], row["timestamp"], row["value"]


def _is_later(current: Any, new: Any) -> Any:
    return or_(
        new.step > current.step,
        and_(new.step == current.step, new.timestamp > current.timestamp),
        and_(
            new.step == current.step,
            new.timestamp == current.timestamp,
            new.value >= current.value,
        ),
    )
