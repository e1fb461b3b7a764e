"""Materialization: the latest value per entity of a feature view into the online store.

``materialize(view, start, end)`` takes, per entity key, the row with the latest event
time in [start, end) (ties: the one learned last) and writes it unless the store already
holds a newer value. Without ``start`` it is incremental: rows with event times from the
previous run's end, plus rows learned since the previous run began (late arrivals), so a
scheduled pipeline step can call it with no arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.features.online.base import OnlineStore, encode_key, key_texts
from lakeworks.features.sources import KNOWN_AT, SourceViews, check_schema, connect, lock_down
from lakeworks.features.store import FeatureCatalog, Materialization
from lakeworks.lake.scans import quote
from lakeworks.lake.versions import parse_time
from lakeworks.meta.catalog import now

if TYPE_CHECKING:
    from lakeworks.features.lake import Lake
    from lakeworks.features.registry import Snapshot


@dataclass(frozen=True)
class MaterializeResult:
    view: str
    view_version: int
    start: datetime | None
    end: datetime
    rows: int  # entity keys written
    seconds: float


def materialize(
    lake: Lake,
    ctx: Context,
    snapshot: Snapshot,
    store: OnlineStore,
    catalog: FeatureCatalog,
    view_name: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> MaterializeResult:
    view = snapshot.view(view_name)
    entity = snapshot.entity(view.entity)
    started = now()
    end_at = parse_time(end) if end is not None else started
    start_at = parse_time(start) if start is not None else None
    learned_since = None
    if start_at is None:
        previous = [
            m for m in catalog.materializations(ctx.workspace, view.name) if m.kind == "materialize"
        ]
        if previous:
            start_at, learned_since = previous[-1].end, previous[-1].started_at
    if start is not None and start_at >= end_at:
        raise InvalidInputError(
            f"materializing {view.name!r}: start {start_at.isoformat()} is not before end "
            f"{end_at.isoformat()}",
            view=view.name,
        )
    con = connect(lake)
    try:
        sources = SourceViews(lake, ctx, con)
        schema = sources.add(view, "__lw_src")
        check_schema(view, entity, schema)
        lock_down(con, sources.folders, lake)
        latest = con.sql(
            _sql(
                view,
                list(entity.join_keys),
                KNOWN_AT in schema.names,
                start_at,
                end_at,
                learned_since,
            )
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"materializing {view.name!r} failed: {str(exc).splitlines()[0]}", view=view.name
        ) from exc
    finally:
        con.close()
    rows = records(latest, list(entity.join_keys))
    store.write(ctx.workspace, view.name, rows)
    finished = now()
    version = snapshot.views[view.name].version
    catalog.record_materialization(
        ctx.workspace,
        Materialization(
            view.name,
            version,
            "materialize",
            start_at,
            end_at,
            len(rows),
            started,
            finished,
            ctx.user,
        ),
    )
    return MaterializeResult(
        view.name, version, start_at, end_at, len(rows), (finished - started).total_seconds()
    )


def _sql(view, keys, known, start, end, learned_since) -> str:  # noqa: ANN001
    t = f"CAST({quote(view.timestamp)} AS TIMESTAMPTZ)"
    key_list = ", ".join(quote(k) for k in keys)
    values = ", ".join(f"{quote(f)} := {quote(f)}" for f in view.features)
    where = [f"{t} < '{end.isoformat()}'::TIMESTAMPTZ"]
    lower = f"{t} >= '{start.isoformat()}'::TIMESTAMPTZ" if start is not None else None
    if lower and learned_since is not None and known:
        lower = f"({lower} OR {KNOWN_AT} >= '{learned_since.isoformat()}'::TIMESTAMPTZ)"
    if lower:
        where.append(lower)
    where.extend(f"{quote(k)} IS NOT NULL" for k in keys)
    order = f"{t} DESC" + (f", {KNOWN_AT} DESC" if known else "")
    return (
        f"SELECT {key_list}, epoch_us({t}) AS __lw_us, to_json(struct_pack({values})) AS __lw_v "
        f"FROM __lw_src WHERE {' AND '.join(where)} "
        f"QUALIFY row_number() OVER (PARTITION BY {key_list} ORDER BY {order}) = 1"
    )


def records(latest: pa.Table, keys: list[str]) -> list[tuple[str, int, str]]:
    """(key, event_us, values JSON) rows for the online store."""
    columns = [latest.column(k).to_pylist() for k in keys]
    texts = (
        key_texts(columns[0])
        if len(keys) == 1
        else [encode_key(list(k)) for k in zip(*columns, strict=True)]
    )
    return list(
        zip(
            texts,
            latest.column("__lw_us").to_pylist(),
            latest.column("__lw_v").to_pylist(),
            strict=True,
        )
    )
