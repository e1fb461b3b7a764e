"""The monitoring service (``platform.monitoring``): drift reports between two samples.

Example:
    >>> report = platform.monitoring.compare(ctx, "orders@v3", "orders")  # doctest: +SKIP
    >>> report.drifted_columns  # doctest: +SKIP
    ['amount']
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lakeworks.errors import InvalidInputError, SchemaMismatchError
from lakeworks.monitoring import columns as column_drift
from lakeworks.monitoring import methods, samples
from lakeworks.monitoring.report import ColumnDrift, DriftReport

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.lake.sql import SqlEngine
    from lakeworks.lake.tables import Tables
    from lakeworks.monitoring.samples import Sample

DRIFT_SHARE = 0.5  # the overall verdict: at least this share of columns drifted
GROUP_BYTES = 32 << 20  # columns read at once from a table, per side: ~this many bytes


class Monitoring:
    """Drift between tables, table versions and in-memory frames.

    Reads tables through the table store (``tables``, one version pinned per side); the
    SQL engine (``sql``) counts the rows of a version whose deletion vectors hide some.
    Columns are compared on up to ``workers`` threads (NumPy sorts and reductions release
    the GIL).
    """

    def __init__(self, tables: Tables, sql: SqlEngine, settings: Settings) -> None:
        self.tables = tables
        self.sql = sql
        self.settings = settings
        self.workers = min(4, os.cpu_count() or 1)

    def compare(
        self,
        ctx: Context,
        reference: Any,
        current: Any,
        *,
        columns: list[str] | None = None,
        method: str | None = None,
        threshold: float | None = None,
        drift_share: float = DRIFT_SHARE,
    ) -> DriftReport:
        """Which columns drifted from ``reference`` to ``current``.

        Each side is an Arrow table, a pandas or Polars DataFrame, a list of dicts, or a
        table name (``orders``, ``orders@v3``, ``orders@2026-11-27T10:00:00Z``).
        ``columns``: those compared (default: every column of the reference; the current
        data must have each). ``method`` / ``threshold``: one statistic for every column
        (see ``monitoring.methods``; default: Evidently's choice per column).
        """
        methods.check(method, threshold)
        if not 0 < drift_share <= 1:
            raise InvalidInputError(
                f"drift_share must be in (0, 1], not {drift_share!r}", drift_share=drift_share
            )
        ref = samples.of(reference, "reference", ctx, self.tables, self.sql)
        cur = samples.of(current, "current", ctx, self.tables, self.sql)
        for sample, role in ((ref, "reference"), (cur, "current")):
            if sample.side.rows == 0:
                raise InvalidInputError(
                    f"the {role} data ({sample.side.source}) has no rows",
                    hint="compare samples that hold rows",
                    side=role,
                )
        names, skipped = _columns(ref, cur, columns)
        found = self._compare(ref, cur, names, method, threshold)
        return DriftReport(ref.side, cur.side, tuple(found), drift_share, skipped)

    def _compare(
        self,
        ref: Sample,
        cur: Sample,
        names: list[str],
        method: str | None,
        threshold: float | None,
    ) -> list[ColumnDrift]:
        rows = max(ref.side.rows, cur.side.rows)
        per_group = max(1, GROUP_BYTES // (8 * rows))
        found: list[ColumnDrift] = []
        with ThreadPoolExecutor(self.workers, thread_name_prefix="lw-drift") as pool:
            for start in range(0, len(names), per_group):
                group = names[start : start + per_group]
                left, right = ref.columns(group), cur.columns(group)
                found += pool.map(
                    lambda name, left=left, right=right: column_drift.compare(
                        name, left.column(name), right.column(name), method, threshold
                    ),
                    group,
                )
                del left, right
        return found


def _columns(ref: Sample, cur: Sample, asked: list[str] | None) -> tuple[list[str], dict[str, str]]:
    """The columns to compare, checked on both sides, and those left out with why."""
    if asked is not None:
        if not asked:
            raise InvalidInputError("columns is empty", hint="name a column, or pass none for all")
        if len(set(asked)) != len(asked):
            raise InvalidInputError(f"columns names a column twice: {asked}", columns=asked)
        for sample, role in ((ref, "reference"), (cur, "current")):
            _require(sample, role, asked)
        for name in asked:
            column_drift.check_kinds(name, ref.schema.field(name).type, cur.schema.field(name).type)
        return list(asked), {}
    skipped = {n: "only in the current data" for n in cur.schema.names if n not in ref.schema.names}
    _require(cur, "current", ref.schema.names)
    names = []
    for field in ref.schema:
        if column_drift.kind_of(field.type) is None:
            skipped[field.name] = f"type {field.type} has no distribution to compare"
            continue
        column_drift.check_kinds(field.name, field.type, cur.schema.field(field.name).type)
        names.append(field.name)
    return names, skipped


def _require(sample: Sample, role: str, names: list[str]) -> None:
    missing = [n for n in names if n not in sample.schema.names]
    if missing:
        raise SchemaMismatchError(
            f"the {role} data ({sample.side.source}) has no column(s) {missing}",
            hint=f"its columns are {sample.schema.names}",
            side=role,
            columns=missing,
        )
