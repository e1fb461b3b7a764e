"""Data lifecycle: per-table retention of old versions and of old rows, run on a schedule.

A rule keeps a table's versions for ``versions_days`` (older ones are vacuumed: their
files deleted, so they can no longer be read) and/or its rows for ``rows_days`` by a
time column (``rows_column``; for a quarantine table ``quarantined_at`` by default), which
is how quarantine tables and prediction logs expire. Each action is recorded with the
bytes it freed (``retention_runs``), and artifact gc is recorded the same way, so the cost
report can show bytes freed per workspace (``bytes_freed``).

Example:
    >>> ws.retention.set("orders__quarantine", rows_days=30, versions_days=7)  # doctest: +SKIP
    >>> ws.retention.run()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
from sqlalchemy import delete, func, select

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, LakeworksError, NotFoundError
from lakeworks.lake.quarantine import quarantine_table
from lakeworks.lake.tables import Tables
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import WorkspaceRow
from lakeworks.meta.protection import RetentionRuleRow, RetentionRunRow
from lakeworks.security.secrets import workspace_id

QUARANTINE_TIME = "quarantined_at"
SYSTEM_USER = "lakeworks-retention"


@dataclass(frozen=True)
class RetentionRule:
    table: str
    versions_days: float | None
    rows_days: float | None
    rows_column: str | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class RetentionRun:
    """One recorded action: ``kind`` vacuum, expire (rows) or gc (artifacts)."""

    workspace: str
    table: str | None
    kind: str
    files_removed: int
    bytes_freed: int
    rows_expired: int
    error: str | None
    ran_at: datetime
    ran_by: str


class Retention:
    """The retention service (``platform.retention``)."""

    def __init__(
        self,
        catalog: Catalog,
        tables: Tables,
        gc: Callable[[Context], Any],
        audit: Callable[..., None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.tables = tables
        self._gc = gc  # tracking's artifact gc: ctx -> GcResult
        self._audit = audit  # guard.record(ctx, action, outcome, object, details)

    def set(
        self,
        ctx: Context,
        table: str,
        *,
        versions_days: float | None = None,
        rows_days: float | None = None,
        rows_column: str | None = None,
    ) -> RetentionRule:
        """Set ``table``'s rule (replacing it)."""
        if versions_days is None and rows_days is None:
            raise InvalidInputError(
                f"a retention rule for table {table!r} needs versions_days or rows_days",
                table=table,
            )
        for what, days in (("versions_days", versions_days), ("rows_days", rows_days)):
            if days is not None and not days > 0:
                raise InvalidInputError(
                    f"{what} of table {table!r} must be more than 0, not {days}", table=table
                )
        rows_column = self._rows_column(ctx, table, rows_days, rows_column)
        with self.catalog.session() as s:
            ws_id = workspace_id(s, ctx.workspace)
            row = s.scalar(_rule(ws_id, table))
            if row is None:
                row = RetentionRuleRow(workspace_id=ws_id, table_name=table)
                s.add(row)
            row.versions_days, row.rows_days, row.rows_column = (
                versions_days,
                rows_days,
                rows_column,
            )
            row.updated_at, row.updated_by = now(), ctx.user
            s.flush()
            return _rule_info(row)

    def rules(self, ctx: Context) -> list[RetentionRule]:
        with self.catalog.session() as s:
            query = select(RetentionRuleRow).where(
                RetentionRuleRow.workspace_id == workspace_id(s, ctx.workspace)
            )
            return [_rule_info(r) for r in s.scalars(query.order_by(RetentionRuleRow.table_name))]

    def remove(self, ctx: Context, table: str) -> None:
        with self.catalog.session() as s:
            query = delete(RetentionRuleRow).where(
                RetentionRuleRow.workspace_id == workspace_id(s, ctx.workspace),
                RetentionRuleRow.table_name == table,
            )
            if not s.execute(query).rowcount:
                raise NotFoundError(f"table {table!r} has no retention rule", table=table)

    def run(self, ctx: Context, table: str | None = None) -> list[RetentionRun]:
        """Apply the workspace's rules (or ``table``'s) now; what each action did.

        A rule that fails (its table dropped, a column renamed) is recorded with its
        error and the others still run.
        """
        rules = [r for r in self.rules(ctx) if table is None or r.table == table]
        if table is not None and not rules:
            raise NotFoundError(f"table {table!r} has no retention rule", table=table)
        done: list[RetentionRun] = []
        for rule in rules:
            done.extend(self._apply(ctx, rule))
        return done

    def run_all(self) -> list[RetentionRun]:
        """Every workspace's rules (the server's schedule)."""
        with self.catalog.session() as s:
            names = list(s.scalars(select(WorkspaceRow.name)))
        done = []
        for name in names:
            done.extend(self.run(Context(workspace=name, user=SYSTEM_USER)))
        return done

    def gc(self, ctx: Context) -> Any:
        """Collect artifact objects nothing references (``lakeworks gc``), record the
        bytes freed against ``ctx``'s workspace, and return tracking's ``GcResult``."""
        result = self._gc(ctx)
        self._record(ctx, None, "gc", result.objects, result.bytes, 0, None)
        return result

    def runs(self, ctx: Context, limit: int = 100) -> list[RetentionRun]:
        with self.catalog.session() as s:
            query = select(RetentionRunRow).where(
                RetentionRunRow.workspace_id == workspace_id(s, ctx.workspace)
            )
            rows = s.scalars(query.order_by(RetentionRunRow.id.desc()).limit(limit))
            return [_run_info(r, ctx.workspace) for r in rows]

    def _apply(self, ctx: Context, rule: RetentionRule) -> list[RetentionRun]:
        done = []
        try:
            if rule.rows_days is not None:
                rows = self._expire(ctx, rule)
                done.append(self._record(ctx, rule.table, "expire", 0, 0, rows, None))
            if rule.versions_days is not None:
                files, size = self._vacuum(ctx, rule.table, rule.versions_days)
                done.append(self._record(ctx, rule.table, "vacuum", files, size, 0, None))
        except LakeworksError as exc:
            done.append(self._record(ctx, rule.table, "failed", 0, 0, 0, str(exc)))
        return done

    def _expire(self, ctx: Context, rule: RetentionRule) -> int:
        cutoff = now() - timedelta(days=rule.rows_days or 0)
        literal = cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        where = f"{rule.rows_column} < '{literal}'"
        return self.tables.delete(ctx, rule.table, where).rows

    def _vacuum(self, ctx: Context, table: str, days: float) -> tuple[int, int]:
        hours = max(int(days * 24), 0)
        doomed = self.tables.vacuum(ctx, table, retention_hours=hours, dry_run=True)
        size = _sizes(self.tables, self.tables.entry(ctx, table).location, doomed)
        removed = self.tables.vacuum(ctx, table, retention_hours=hours)
        return len(removed), size

    def _record(
        self, ctx: Context, table: str | None, kind: str, files: int, size: int, rows: int,
        error: str | None,
    ) -> RetentionRun:  # fmt: skip
        with self.catalog.session() as s:
            row = RetentionRunRow(
                workspace_id=workspace_id(s, ctx.workspace), table_name=table, kind=kind,
                files_removed=files, bytes_freed=size, rows_expired=rows, error=error,
                ran_at=now(), ran_by=ctx.user,
            )  # fmt: skip
            s.add(row)
            s.flush()
            run = _run_info(row, ctx.workspace)
        if self._audit is not None:  # each action, whoever ran it (the schedule included)
            details = {"files_removed": files, "bytes_freed": size, "rows_expired": rows}
            outcome = "ok" if error is None else "failed"
            self._audit(ctx, f"retention.{kind}", outcome, table, details)
        return run

    def _rows_column(
        self, ctx: Context, table: str, rows_days: float | None, column: str | None
    ) -> str | None:
        schema = self.tables.describe(ctx, table).schema
        if rows_days is None:
            return None
        column = column or (QUARANTINE_TIME if table.endswith(quarantine_table("")) else None)
        if column is None or column not in schema.names:
            raise InvalidInputError(
                f"rows_days of table {table!r} needs rows_column, a time column of it"
                + (f" ({column!r} is not one)" if column else ""),
                hint=f"its columns are {schema.names}",
                table=table,
                column=column,
            )
        kind = schema.field(column).type
        if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            raise InvalidInputError(
                f"rows_column {column!r} of table {table!r} is {kind}, not a date or timestamp",
                table=table, column=column, expected="date or timestamp", found=str(kind),
            )  # fmt: skip
        return column


def bytes_freed(catalog: Catalog, since: datetime | None = None) -> dict[str, int]:
    """Bytes freed by retention and gc per workspace (since ``since``): for cost reports."""
    query = (
        select(WorkspaceRow.name, func.coalesce(func.sum(RetentionRunRow.bytes_freed), 0))
        .join(WorkspaceRow, WorkspaceRow.id == RetentionRunRow.workspace_id)
        .group_by(WorkspaceRow.name)
    )
    if since is not None:
        query = query.where(RetentionRunRow.ran_at >= since)
    with catalog.session() as s:
        return {name: int(total) for name, total in s.execute(query)}


def _sizes(tables: Tables, location: str, paths: list[str]) -> int:
    fs, root = tables.storage.filesystem(), tables.storage.fs_path(location).rstrip("/")
    infos = fs.get_file_info([p if p.startswith(root) else f"{root}/{p}" for p in paths])
    return sum(i.size or 0 for i in infos if i.type == pafs.FileType.File)


def _rule(ws_id: int, table: str):  # noqa: ANN202
    return select(RetentionRuleRow).where(
        RetentionRuleRow.workspace_id == ws_id, RetentionRuleRow.table_name == table
    )


def _rule_info(row: RetentionRuleRow) -> RetentionRule:
    return RetentionRule(
        row.table_name, row.versions_days, row.rows_days, row.rows_column,
        aware(row.updated_at), row.updated_by,
    )  # fmt: skip


def _run_info(row: RetentionRunRow, workspace: str) -> RetentionRun:
    return RetentionRun(
        workspace, row.table_name, row.kind, row.files_removed, row.bytes_freed,
        row.rows_expired, row.error, aware(row.ran_at), row.ran_by,
    )  # fmt: skip
