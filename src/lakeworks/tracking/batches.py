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

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.meta.models import LatestMetricRow, ParamRow, RunTagRow
from lakeworks.tracking.names import MAX_PARAM_VALUE_LENGTH, check_key
from lakeworks.tracking.records import now_ms
from lakeworks.tracking.upserts import insert_ignore, upsert

Point = tuple[str, Any, Any, Any]  # key, value, step, timestamp (None: now)
Row = tuple[str, str, int, int, float, bool]  # as the columns of _INSERT_METRICS


def metric_rows(run_id: str, points: Iterable[Point]) -> list[Row]:
    """Validated rows of ``points``; a point with no timestamp gets the current time."""
    points = list(points)
    for key in {p[0] for p in points}:
        check_key("metric", key)
    now = now_ms()
    rows = []
    for key, value, step, timestamp in points:
        if type(value) is not float:
            value = number(key, value)
        nan = value != value  # NaN is the one value unequal to itself
        ts = now if timestamp is None else int(timestamp)
        rows.append((run_id, key, int(step or 0), ts, 0.0 if nan else value, nan))
    return rows


# Written through the driver's executemany: SQLAlchemy's per-row parameter handling cost
# more than the database itself on the SDK's batches (11 µs a row on SQLite).
_INSERT_METRICS = (
    'INSERT INTO metrics (run_id, "key", step, "timestamp", "value", is_nan) '
    "VALUES ({0}, {0}, {0}, {0}, {0}, {0}) ON CONFLICT DO NOTHING"
)
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def write_metrics(s: Session, rows: list[Row]) -> None:
    if not rows:
        return
    # one order for every writer, so two transactions writing the same keys wait for each
    # other instead of deadlocking (PostgreSQL locks each unique key it inserts)
    rows = sorted(rows, key=lambda row: row[1:5])
    conn = s.connection()
    conn.exec_driver_sql(_INSERT_METRICS.format(_PLACEHOLDERS[conn.dialect.paramstyle]), rows)
    latest: dict[str, Row] = {}
    for row in rows:
        seen = latest.get(row[1])
        if seen is None or row[2:5] > seen[2:5]:  # step, timestamp, value
            latest[row[1]] = row
    names = ("run_id", "key", "step", "timestamp", "value", "is_nan")
    values = [dict(zip(names, latest[key], strict=True)) for key in sorted(latest)]
    upsert(s, LatestMetricRow, values, ["run_id", "key"], where=_is_later)


def write_params(s: Session, run_id: str, params: Iterable[tuple[str, Any]]) -> None:
    wanted: dict[str, str] = {}
    for key, value in params:
        check_key("param", key)
        text = _param_value(key, value)
        if wanted.setdefault(key, text) != text:
            raise _param_changed(run_id, key, wanted[key], text)
    if not wanted:
        return
    rows = [{"run_id": run_id, "key": k, "value": wanted[k]} for k in sorted(wanted)]
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
    upsert(s, RunTagRow, [rows[k] for k in sorted(rows)], ["run_id", "key"])


def delete_tag(s: Session, run_id: str, key: str) -> None:
    tag = s.get(RunTagRow, (run_id, key))
    if tag is None:
        raise NotFoundError(f"run {run_id} has no tag {key!r}", run=run_id, key=key)
    s.delete(tag)


def number(key: str, value: Any) -> float:
    """``value`` as a float, or InvalidInputError naming the metric."""
    if isinstance(value, bool | str | bytes):
        value = None  # float("1.5") and float(True) work, but they are not metric values
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"metric {key!r} must be a number, got {value!r}",
            key=key,
            expected="number",
            found=type(value).__name__,
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
