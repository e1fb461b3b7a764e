"""The coverage report of a training set: per view, which rows got a value, and why not.

The training-set query marks each entity row per view (column ``__lw_why{i}``): a value
found, found but older than the TTL, or none. In as-known-at mode, a second, small query
splits the rows with none: had the key an event at or before the row's time (so the value
was not yet known), or not? It runs only over those rows, and only when there are some.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.lake.scans import quote

WARN_SHARE = 0.5  # warn when at least this share of the rows with an earlier event is unknown
_VALUE, _LATER, _NONE, _EXPIRED = 0, 1, 2, 3


class AsKnownAtWarning(UserWarning):
    """Many rows of a training set got no value only because it was not known yet."""


@dataclass(frozen=True)
class ViewCoverage:
    """How many entity rows got a value from one feature view, and why the others did not.

    ``with_value``: a value was found (it may itself be null). ``not_yet_known``: the key
    had an event at or before the row's time, but lakeworks learned of it only later
    (as-known-at mode). ``no_earlier_event``: the key had no event at or before the row's
    time (or the row's key or time is null). ``ttl_expired``: the newest value was older
    than the view's TTL.
    """

    view: str
    rows: int
    with_value: int
    not_yet_known: int
    no_earlier_event: int
    ttl_expired: int

    @property
    def not_yet_known_share(self) -> float:
        """Of the rows with an earlier event, the share that got nothing as not yet known."""
        eventful = self.with_value + self.not_yet_known + self.ttl_expired
        return self.not_yet_known / eventful if eventful else 0.0

    def warning(self, declared: bool) -> str | None:
        """The warning when many rows had no value only because of as-known-at."""
        if not self.not_yet_known or self.not_yet_known_share < WARN_SHARE:
            return None
        fix = (
            "its declared known_at / available_after says these values were learned after "
            "the rows' times; check the declaration, or use point_in_time='event'"
            if declared
            else "if its history was loaded after the fact (a backfill), declare when values "
            "became known: FeatureView(..., available_after='1h') or known_at='<column>'; "
            "or use point_in_time='event'"
        )
        return (
            f"feature view {self.view!r}: {self.not_yet_known} of {self.rows} rows "
            f"({self.not_yet_known_share:.0%} of those with an earlier event) have no value "
            f"because it was not yet known at the row's time: {fix}"
        )


@dataclass(frozen=True)
class Misses:
    """What ``count`` needs to split one view's rows without a value."""

    view: str
    source: str  # the DuckDB view of the source rows
    keys: tuple[str, ...]
    timestamp: str  # the source's event time column
    row_time: str  # the entity rows' time column
    as_known: bool  # as-known-at mode with known-at times: some may be not yet known


def reason_column(i: int, matched_key: str, fresh: str | None) -> str:
    """The SQL of column ``__lw_why{i}``: a value, an expired one, or none (for now)."""
    value = f"(CASE WHEN NOT {fresh} THEN {_EXPIRED} ELSE {_VALUE} END)" if fresh else _VALUE
    return (
        f"CAST(CASE WHEN {matched_key} IS NOT NULL THEN {value} ELSE {_NONE} END AS TINYINT) "
        f"AS __lw_why{i}"
    )


def count(
    con: duckdb.DuckDBPyConnection, table: pa.Table, views: list[Misses]
) -> tuple[pa.Table, tuple[ViewCoverage, ...]]:
    """The table without its ``__lw_why{i}`` columns, and the coverage of each view."""
    out = []
    for i, view in enumerate(views):
        column = f"__lw_why{i}"
        counts = np.bincount(table.column(column).to_numpy(), minlength=4)
        if view.as_known and counts[_NONE]:
            later = _earlier_events(con, table.filter(pc.equal(table[column], _NONE)), view)
            counts[_LATER], counts[_NONE] = later, counts[_NONE] - later
        out.append(ViewCoverage(view.view, table.num_rows, *(int(c) for c in counts)))
        table = table.drop_columns([column])
    return table, tuple(out)


def _earlier_events(con: duckdb.DuckDBPyConnection, missed: pa.Table, view: Misses) -> int:
    """How many of the rows ``missed`` have a source row of their key at or before their
    time (each row counted once)."""
    name = "__lw_missed"
    con.register(name, missed.select([*view.keys, view.row_time]))
    try:
        on = " AND ".join(f"s.{quote(k)} = m.{quote(k)}" for k in view.keys)
        return con.sql(
            f"SELECT count(*) FROM {name} m WHERE EXISTS (SELECT 1 FROM {view.source} s "
            f"WHERE {on} AND CAST(s.{quote(view.timestamp)} AS TIMESTAMPTZ) <= "
            f"CAST(m.{quote(view.row_time)} AS TIMESTAMPTZ))"
        ).fetchall()[0][0]
    finally:
        con.unregister(name)
