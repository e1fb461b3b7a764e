"""Push: fresh feature rows go to the online store now and to the offline source for good.

The rows are appended to the view's source table with ``_lw_ingested_at`` (the push time)
first, so a training set built later sees exactly these values, known from the moment the
online store served them; then the latest row per key is written online (unless the store
holds a newer value). Only views over a table can take pushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.features.entities import check_keys, to_arrow
from lakeworks.features.materialize import records
from lakeworks.features.online.base import OnlineStore
from lakeworks.features.sources import INGESTED_AT
from lakeworks.lake import duck
from lakeworks.lake.scans import quote

if TYPE_CHECKING:
    from lakeworks.features.lake import Lake
    from lakeworks.features.registry import Snapshot


@dataclass(frozen=True)
class PushResult:
    view: str
    rows: int
    table: str
    table_version: int
    online_keys: int
    ingested_at: datetime


def push(
    lake: Lake,
    ctx: Context,
    snapshot: Snapshot,
    store: OnlineStore,
    view_name: str,
    rows: Any,
) -> PushResult:
    view = snapshot.view(view_name)
    entity = snapshot.entity(view.entity)
    if view.source_is_query:
        raise InvalidInputError(
            f"feature view {view.name!r} reads a query; pushes need a view over a table",
            view=view.name,
        )
    data = to_arrow(rows, "pushed rows")
    check_keys(data, {view.name: list(entity.join_keys)}, "pushed rows")
    missing = [c for c in (view.timestamp, *view.features) if c not in data.column_names]
    if missing:
        raise InvalidInputError(
            f"the rows pushed to {view.name!r} lack column(s) {missing}",
            hint=f"give {[*entity.join_keys, view.timestamp, *view.features]}",
            view=view.name,
        )
    data = _utc(data, view.timestamp)
    ingested = datetime.now(UTC)
    stamp = pa.array([ingested] * data.num_rows, pa.timestamp("us", "UTC"))
    offline = data.drop_columns([INGESTED_AT]) if INGESTED_AT in data.column_names else data
    latest = _latest(data, view, list(entity.join_keys))
    online = records(latest, list(entity.join_keys))
    store.admit(ctx.workspace, view.name, [key for key, _, _ in online])  # before any write
    written = lake.tables.write(ctx, view.source, offline.append_column(INGESTED_AT, stamp))
    store.write(ctx.workspace, view.name, online)
    return PushResult(
        view.name, data.num_rows, view.source, written.version, latest.num_rows, ingested
    )


def _utc(data: pa.Table, column: str) -> pa.Table:
    kind = data.schema.field(column).type
    if pa.types.is_timestamp(kind) and kind.tz is None:  # naive means UTC
        i = data.schema.get_field_index(column)
        return data.set_column(
            i, column, pc.cast(data.column(column), pa.timestamp(kind.unit, "UTC"))
        )
    if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        raise InvalidInputError(
            f"column {column!r} of the pushed rows is {kind}, not a timestamp", column=column
        )
    return data


def _latest(data: pa.Table, view, keys: list[str]) -> pa.Table:  # noqa: ANN001
    con = duck.private(time_zone="UTC")
    try:
        con.register("__lw_push", data)
        key_list = ", ".join(quote(k) for k in keys)
        t = f"CAST({quote(view.timestamp)} AS TIMESTAMPTZ)"
        values = ", ".join(f"{quote(f)} := {quote(f)}" for f in view.features)
        return con.sql(
            f"SELECT {key_list}, epoch_us({t}) AS __lw_us, to_json(struct_pack({values})) "
            f"AS __lw_v FROM (SELECT *, row_number() OVER () AS __lw_n FROM __lw_push) "
            f"WHERE {' AND '.join(f'{quote(k)} IS NOT NULL' for k in keys)} "
            f"QUALIFY row_number() OVER (PARTITION BY {key_list} ORDER BY {t} DESC, "
            f"__lw_n DESC) = 1"
        ).to_arrow_table()
    finally:
        con.close()
