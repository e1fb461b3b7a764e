"""Training sets: each feature's latest value at or before each entity row's time.

One DuckDB query joins the entity frame to every requested view with ASOF LEFT JOIN.

Modes (``point_in_time``):

- ``"known"`` (default): a row sees a feature value only when it was both valid
  (event time <= row time) and already known to lakeworks (known-at time <= row time; see
  ``sources``). Among those, the one with the latest event time wins (ties: the one
  learned last). So a correction loaded next week never leaks into last week's rows.
  Implemented by turning each source into a timeline: a value becomes the answer at
  ``greatest(event time, known-at time)`` unless an already-visible value has a later
  event time; the ASOF join then runs on that availability time.
- ``"event"``: event time alone (ties between rows with the same key and event time: the
  one learned last wins). Values loaded late do appear in earlier rows.

A view may declare when its values became known (``known_at`` column or
``available_after`` delay, for history loaded after the fact); that replaces or caps the
commit-derived known-at time (``_known_expr``). Every training set carries a coverage
report per view (``coverage``): rows with a value, and why the others have none.

Nulls and missing entities: every entity row is returned once, in the order given. A
feature is null when the key has no value at or before the row's time, when the newest
such value is older than the view's TTL, when the row's key or timestamp is null, or when
the newest value itself is null (no older value is filled in). A source query that does
not select ``_lw_known_at`` has no known-at times: it is joined on event time in both
modes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import numpy as np
import pyarrow as pa

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, LakeworksError
from lakeworks.features import coverage as cov
from lakeworks.features import entities as entity_frames
from lakeworks.features.coverage import ViewCoverage
from lakeworks.features.sources import KNOWN_AT, SourceViews, TableRead, check_schema, connect
from lakeworks.features.sources import lock_down as lock_connection
from lakeworks.lake.scans import quote

if TYPE_CHECKING:
    import pandas
    import polars

    from lakeworks.features.definitions import FeatureView
    from lakeworks.features.lake import Lake
    from lakeworks.features.registry import Snapshot
    from lakeworks.lake.tables import WriteResult

PointInTime = Literal["known", "event"]
_ROW = "__lw_row"
_TS = "__lw_ts"


@dataclass(frozen=True)
class TrainingSet:
    """A training set: the entity rows with one column per feature.

    ``views`` maps each feature view used to its version, ``tables`` the source table
    versions read; ``saved`` is the table version written when ``save_as`` was given.
    ``coverage`` says per view how many rows got a value and why the others did not;
    ``warnings`` names views where as-known-at left many rows empty, with the fix.
    """

    table: pa.Table
    features: tuple[str, ...]
    point_in_time: str
    views: dict[str, int]
    tables: tuple[TableRead, ...]
    saved: WriteResult | None = None
    sql: str = field(default="", repr=False)
    coverage: tuple[ViewCoverage, ...] = ()
    warnings: tuple[str, ...] = ()

    def arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self) -> pandas.DataFrame:
        return self.table.to_pandas()

    def to_polars(self) -> polars.DataFrame:
        import polars

        return polars.from_arrow(self.table)


@dataclass(frozen=True)
class _Joined:
    view: FeatureView
    alias: str
    keys: tuple[str, ...]
    features: list[tuple[str, str]]  # (feature, output name)
    known: bool  # the source has known-at times
    ties: bool = True  # two rows may share a key and event time (event mode breaks ties)
    known_expr: str = KNOWN_AT  # the SQL of a source row's known-at time


def _known_expr(view: FeatureView, has_known_at: bool) -> str:
    """When a source row became known: the declared column, else the earlier of the
    commit's time and event time + ``available_after``, else the commit's time."""
    if view.known_at is not None:
        return f"CAST({quote(view.known_at)} AS TIMESTAMPTZ)"
    if view.available_after is None:
        return KNOWN_AT
    micros = int(view.available_after.total_seconds() * 1_000_000)
    after = f"CAST({quote(view.timestamp)} AS TIMESTAMPTZ) + to_microseconds({micros})"
    return f"least({KNOWN_AT}, {after})" if has_known_at else after


def output_names(
    pairs: list[tuple[FeatureView, str]], full_names: bool, taken: list[str] = ()
) -> list[str]:
    """Column names of the requested features; duplicates are refused."""
    names = [f"{v.name}__{f}" if full_names else f for v, f in pairs]
    seen: dict[str, str] = {}
    for (view, feature), name in zip(pairs, names, strict=True):
        ref = f"{view.name}:{feature}"
        if name in seen:
            raise InvalidInputError(
                f"two requested features are both named {name!r} ({seen[name]} and {ref})",
                hint="request one of them, or pass full_names=True for 'view__feature' columns",
                feature=name,
            )
        if name in taken:
            raise InvalidInputError(
                f"feature {ref} has the same name as column {name!r} of the entity rows",
                hint="rename that column, or pass full_names=True",
                feature=name,
            )
        seen[name] = ref
    return names


def training_set(
    lake: Lake,
    ctx: Context,
    snapshot: Snapshot,
    entities: Any,
    pairs: list[tuple[FeatureView, str]],
    *,
    point_in_time: PointInTime = "known",
    timestamp: str | None = None,
    full_names: bool = False,
    ties: dict[tuple[Any, ...], bool] | None = None,
) -> TrainingSet:
    """``ties``: a cache of whether a table version has ties (see ``_may_tie``), kept by
    the caller across calls."""
    if point_in_time not in ("known", "event"):
        raise InvalidInputError(f"point_in_time must be 'known' or 'event', not {point_in_time!r}")
    if isinstance(entities, str):
        # raw, so its keys join the sources; the service masks its tagged columns after
        entities = lake.tables.read(ctx, entities, unmasked=True)
    frame = entity_frames.to_arrow(entities, "entity rows")
    ts_column = entity_frames.timestamp_column(frame, timestamp)
    views = list({v.name: v for v, _ in pairs}.values())
    keys = {v.name: list(snapshot.entity(v.entity).join_keys) for v in views}
    entity_frames.check_keys(frame, keys)
    names = output_names(pairs, full_names, frame.column_names)
    if _ROW in frame.column_names or _TS in frame.column_names:
        raise InvalidInputError(f"entity rows may not have columns {_ROW!r} or {_TS!r}")
    frame = frame.append_column(_ROW, pa.array(np.arange(frame.num_rows, dtype=np.int64)))

    con = connect(lake)
    try:
        sources = SourceViews(lake, ctx, con)
        joined = []
        for i, view in enumerate(views):
            alias = f"__lw_src_{i}"
            schema = sources.add(view, alias)
            check_schema(view, snapshot.entity(view.entity), schema)
            wanted = [(f, n) for (v, f), n in zip(pairs, names, strict=True) if v.name == view.name]
            has = KNOWN_AT in schema.names
            expr = _known_expr(view, has)
            j = _Joined(
                view, alias, tuple(keys[view.name]), wanted, has or view.declares_known, True, expr
            )
            if point_in_time == "event" and j.known and not view.source_is_query:
                identity = sources.identities[view.source]
                j = replace(j, ties=_may_tie(con, j, identity, {} if ties is None else ties))
            joined.append(j)
        lock_connection(con, sources.folders, lake)
        con.register("__lw_entities", frame)
        sql = _sql(joined, ts_column, point_in_time)
        try:
            table = _in_entity_order(con.sql(sql).to_arrow_table())
            table, counted = cov.count(con, table, _misses(joined, ts_column, point_in_time))
        except duckdb.Error as exc:
            raise InvalidInputError(
                f"the training set query failed: {str(exc).splitlines()[0]}",
                hint="check that key columns have the same types as in the feature sources",
            ) from exc
    except LakeworksError:
        raise
    finally:
        con.close()
    return TrainingSet(
        table=table,
        features=tuple(names),
        point_in_time=point_in_time,
        views={v.name: snapshot.views[v.name].version for v in views},
        tables=tuple(sources.reads.values()),
        sql=sql,
        coverage=counted,
        warnings=tuple(
            w for c, v in zip(counted, views, strict=True) if (w := c.warning(v.declares_known))
        ),
    )


def _sql(joined: list[_Joined], ts_column: str, mode: PointInTime) -> str:
    """One query: the entity rows, each ASOF-joined to every view (in no particular order:
    ``_in_entity_order`` restores it, cheaper than an ORDER BY in DuckDB).

    In event mode a source with known-at times joins on the pair (event time, known-at
    time), so that of two values with the same event time the one learned last wins;
    the pair is built once per row in the source's CTE, the entity side's once in
    ``__lw_e`` (its known-at part is infinity).
    """
    ties = mode == "event" and any(j.known and j.ties for j in joined)
    pair = f", {{'t': {_TS}, 'k': 'infinity'::TIMESTAMPTZ}} AS __lw_tk" if ties else ""
    ctes = [
        f"__lw_e AS (SELECT *, CAST({quote(ts_column)} AS TIMESTAMPTZ) AS {_TS}{pair} "
        "FROM __lw_entities)"
    ]
    selects, joins = [], []
    for i, j in enumerate(joined):
        name = f"__lw_v{i}"
        ctes.append(f"{name} AS ({_timeline(j, mode)})")
        on = " AND ".join(f"e.{quote(k)} = {name}.{quote(k)}" for k in j.keys)
        if mode == "known" and j.known:
            on += f" AND e.{_TS} >= {name}.__lw_avail"
        elif j.known and j.ties:  # event time, ties broken by the time it was learned
            on += f" AND e.__lw_tk >= {name}.__lw_tk"
        else:
            on += f" AND e.{_TS} >= {name}.__lw_t"
        joins.append(f"ASOF LEFT JOIN {name} ON {on}")
        ttl = j.view.ttl
        fresh = None
        if ttl is not None:
            micros = int(ttl.total_seconds() * 1_000_000)
            fresh = f"{name}.__lw_t >= e.{_TS} - to_microseconds({micros})"
        for feature, output in j.features:
            value = f"{name}.{quote(feature)}"
            if fresh is not None:
                value = f"CASE WHEN {fresh} THEN {value} END"
            selects.append(f"{value} AS {quote(output)}")
        selects.append(cov.reason_column(i, f"{name}.{quote(j.keys[0])}", fresh))
    hidden = f"{_TS}, __lw_tk" if ties else _TS
    return (
        f"WITH {', '.join(ctes)} SELECT e.* EXCLUDE ({hidden}), {', '.join(selects)} "
        f"FROM __lw_e e {' '.join(joins)}"
    )


def _misses(joined: list[_Joined], ts_column: str, mode: PointInTime) -> list[cov.Misses]:
    """Per view, how to tell its unmatched rows apart (see ``cov.count``)."""
    return [
        cov.Misses(
            j.view.name, j.alias, j.keys, j.view.timestamp, ts_column, mode == "known" and j.known
        )
        for j in joined
    ]


def _may_tie(
    con: duckdb.DuckDBPyConnection, j: _Joined, identity: tuple[Any, ...], cache: dict
) -> bool:
    """Whether event mode must break ties in ``j``'s source, a table version (``identity``:
    location, Delta table id, version): two rows with the same key and event time (the one
    learned last wins). Without any, the ASOF join runs on event time alone, as a
    hand-written one does, with the same answer. Versions never change, so ``cache`` keeps
    the answer per (version, keys, timestamp). (A query source has no version: the caller
    treats it as tying.)"""
    view = j.view
    key = (*identity, j.keys, view.timestamp)
    if key not in cache:
        if len(cache) >= 4096:
            cache.clear()
        keys = ", ".join(quote(k) for k in j.keys)
        t = quote(view.timestamp)
        found = con.sql(
            f"SELECT count(*) FROM (SELECT 1 FROM {j.alias} WHERE {t} IS NOT NULL "
            f"GROUP BY {keys}, {t} HAVING count(*) > 1 LIMIT 1)"
        ).fetchall()
        cache[key] = found[0][0] > 0
    return cache[key]


def _in_entity_order(table: pa.Table) -> pa.Table:
    """The rows put back in the order of the entity rows (column ``_ROW``), then dropped."""
    rows = table.column(_ROW).to_numpy()
    order = np.empty(len(rows), dtype=np.int64)
    order[rows] = np.arange(len(rows), dtype=np.int64)
    return table.drop_columns([_ROW]).take(order)


def _timeline(j: _Joined, mode: PointInTime) -> str:
    keys = ", ".join(quote(k) for k in j.keys)
    features = ", ".join(quote(f) for f in dict.fromkeys(f for f, _ in j.features))
    t = f"CAST({quote(j.view.timestamp)} AS TIMESTAMPTZ)"
    if not j.known or (mode == "event" and not j.ties):
        return f"SELECT {keys}, {t} AS __lw_t, {features} FROM {j.alias}"
    if mode == "event":
        pair = f"{{'t': {t}, 'k': {j.known_expr}}} AS __lw_tk"
        ttl = f"{t} AS __lw_t, " if j.view.ttl is not None else ""
        return f"SELECT {keys}, {ttl}{pair}, {features} FROM {j.alias}"
    base = f"SELECT {keys}, {t} AS __lw_t, {j.known_expr} AS __lw_k, {features} FROM {j.alias}"
    # A value is the answer from greatest(t, k) on, unless a value with a later event time
    # is already visible then; of values visible at the same instant, the newest (the last
    # in this order; a row without an event time never wins) wins. Both tests share one
    # window, so one sort.
    window = f"PARTITION BY {keys} ORDER BY __lw_avail, __lw_t NULLS FIRST, __lw_k NULLS FIRST"
    ttl = "__lw_t, " if j.view.ttl is not None else ""
    return (
        f"SELECT {keys}, {ttl}__lw_avail, {features} FROM "
        f"(SELECT *, greatest(__lw_t, __lw_k) AS __lw_avail FROM ({base})) "
        f"QUALIFY coalesce(__lw_t >= max(__lw_t) OVER ({window} "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), true) "
        f"AND lead(__lw_avail) OVER ({window}) IS DISTINCT FROM __lw_avail"
    )
