"""The gate on write: checks run on the incoming rows before the table version commits.

- Rows that violate a failing row-level check of error severity go to
  ``<table>__quarantine`` (the ingest quarantine schema; ``reason`` is
  ``check: <names>``, ``raw_record`` the row as JSON) and the rest lands.
- Table-level checks (row count, freshness, statistics, anomalies) are judged on the table
  as it would be after the write; one of error severity failing raises DataQualityError
  with the report, and the table stays at its previous version.
- Warnings are recorded with the results, which are stored once the version is known.

``reload`` writes quarantined rows again through the same gate, so fixed rows land and
rows that still fail go back to quarantine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.errors import DataQualityError, InvalidInputError
from lakeworks.hooks import current_inputs
from lakeworks.lake.quarantine import SCHEMA, quarantine_table
from lakeworks.lake.scans import quote
from lakeworks.lake.versions import arrow_schema
from lakeworks.quality import compile as sql
from lakeworks.quality import evaluate
from lakeworks.quality.checks import Check
from lakeworks.quality.reports import ReloadResult

if TYPE_CHECKING:
    import duckdb

    from lakeworks.context import Context
    from lakeworks.quality.service import Quality

NEW, GOOD, OLD, RESULT = "__lw_new", "__lw_good", "__lw_target", "__lw_result"
ROW = "__lw_row"
REASON_PREFIX = "check: "


@dataclass(frozen=True)
class _Pending:
    outcomes: list[evaluate.Outcome]
    checks: list[Check]
    quarantined: int


class Gate:
    def __init__(self, quality: Quality) -> None:
        self.quality = quality
        self.tables = quality.tables
        self._pending: dict[str, _Pending] = {}

    def apply(
        self,
        ctx: Context,
        table: str,
        reader: pa.RecordBatchReader,
        *,
        write_id: str,
        mode: str,
        keys: list[str] | None,
    ) -> tuple[pa.RecordBatchReader, int]:
        """The rows to write and how many were quarantined; raises DataQualityError."""
        checks = [i.check for i in self.quality.store.checks(ctx.workspace, table)]
        if not checks:
            return reader, 0
        data = reader.read_all()
        # a table being created (or re-created after a drop) is gated against no rows
        tables = self.tables
        dt = tables.open(ctx, table) if tables.exists(ctx, table) else None
        version = dt.version() if dt is not None else None
        con = self.quality.connect(ctx, dt, checks)
        try:
            if dt is None:
                con.register(OLD, data.schema.empty_table())
            good, bad, outcomes = self._split(con, data, checks, keys)
            con.register(GOOD, good)
            con.execute(f"CREATE TEMP VIEW {RESULT} AS {_result_sql(mode, keys)}")
            history = self.quality.history(ctx, table, before=(version or 0) + 1)
            table_checks = [c for c in checks if not c.row_level]
            outcomes += evaluate.run(con, RESULT, table_checks, history)
        finally:
            con.close()
        refused = [o for o in outcomes if not o.check.row_level and o.status == "failed"]
        if refused:
            self._refuse(ctx, table, version, outcomes, checks)
        held = self._quarantine(ctx, table, bad) if bad is not None else 0
        self._pending[write_id] = _Pending(outcomes, checks, held)
        return pa.RecordBatchReader.from_batches(good.schema, good.to_batches()), held

    def commit(self, ctx: Context, table: str, write_id: str, version: int) -> None:
        """Store the results of a gated write under the version it created."""
        pending = self._pending.pop(write_id, None)
        if pending is not None:
            self.quality.record(
                ctx, table, version, "write", pending.outcomes, pending.checks, pending.quarantined
            )

    def forget(self, write_id: str) -> None:
        self._pending.pop(write_id, None)

    def _split(
        self,
        con: duckdb.DuckDBPyConnection,
        data: pa.Table,
        checks: list[Check],
        keys: list[str] | None,
    ) -> tuple[pa.Table, pa.Table | None, list[evaluate.Outcome]]:
        row_checks = [c for c in checks if c.row_level]
        if not row_checks:
            return data, None, []
        con.register(NEW, data.append_column(ROW, pa.array(range(data.num_rows), pa.int64())))
        existing = _kept_sql(keys)
        flags = ", ".join(f"{_flag(c, existing, keys)} AS f{i}" for i, c in enumerate(row_checks))
        flagged = con.sql(f"SELECT {flags} FROM {NEW} ORDER BY {ROW}").to_arrow_table()
        outcomes, failing = [], []
        for i, check in enumerate(row_checks):
            column = flagged.column(f"f{i}")
            count = pc.sum(column).as_py() or 0
            outcome = evaluate.judge(check, data.num_rows, count, lambda _: [], datetime.now(UTC))
            if outcome.status != "passed":
                sample = evaluate.json_rows(data.filter(column).slice(0, 5).to_pylist())
                outcome = outcome._replace(sample=sample)
            outcomes.append(outcome)
            if outcome.status == "failed":
                failing.append((check, column))
        if not failing:
            return data, None, outcomes
        mask = failing[0][1]
        for _, column in failing[1:]:
            mask = pc.or_(mask, column)
        reasons = pa.array(_reasons(failing, data.num_rows))
        numbered = data.append_column(ROW, pa.array(range(data.num_rows), pa.int64()))
        bad = numbered.append_column("__lw_reason", reasons).filter(mask)
        return data.filter(pc.invert(mask)), bad, outcomes

    def _refuse(
        self,
        ctx: Context,
        table: str,
        version: int | None,
        outcomes: list[evaluate.Outcome],
        checks: list[Check],
    ) -> None:
        report = self.quality.record(ctx, table, version, "write", outcomes, checks, refused=True)
        stays = "was not created" if version is None else f"stays at version {version}"
        raise DataQualityError(
            f"the write to {table!r} was refused; the table {stays}:\n" + report.summary(),
            hint="fix the data or the checks (`lakeworks quality list`), then write again",
            table=table,
            version=version,
            run_id=report.run_id,
        )

    def _quarantine(self, ctx: Context, table: str, bad: pa.Table) -> int:
        inputs = current_inputs()
        source = inputs.sources[0] if inputs.sources else f"{inputs.kind} into {table}"
        reasons = [(r["names"], r["columns"]) for r in bad.column("__lw_reason").to_pylist()]
        rows = evaluate.json_rows(bad.drop_columns([ROW, "__lw_reason"]).to_pylist())
        lines = bad.column(ROW).to_pylist()
        at = datetime.now(UTC)
        quarantined = pa.Table.from_pydict(
            {
                "load_id": [inputs.load_id or 0] * len(rows),
                "source": [source] * len(rows),
                "line": [None if line is None else line + 1 for line in lines],
                "raw_record": [json.dumps(r) for r in rows],
                "reason": [REASON_PREFIX + r[0] for r in reasons],
                "columns": [r[1] for r in reasons],
                "quarantined_at": [at] * len(rows),
            },
            schema=SCHEMA,
        )
        self.tables.write(ctx, quarantine_table(table), quarantined, mode="append", system=True)
        return len(rows)

    # reload -------------------------------------------------------------------------
    def reload(self, ctx: Context, table: str, where: str | None) -> ReloadResult:
        name = quarantine_table(table)
        target = self.tables.open(ctx, table)
        if not self.tables.exists(ctx, name):
            return ReloadResult(table, 0, 0, 0, target.version())
        held = f"reason LIKE '{REASON_PREFIX}%'" + (f" AND ({where})" if where else "")
        rows = self.tables.read(ctx, name, where=held, unmasked=True)
        if rows.num_rows == 0:
            return ReloadResult(table, 0, 0, 0, target.version())
        data = _typed(
            [json.loads(r) for r in rows.column("raw_record").to_pylist()],
            arrow_schema(target),
            table,
        )
        cutoff = pc.max(rows.column("quarantined_at")).as_py()
        result = self.tables.write(ctx, table, data, mode="append")
        again = result.metrics.get("rows_quarantined_by_checks", 0)
        stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        utc = "'Timestamp(Microsecond, Some(\"UTC\"))'"
        before = f"quarantined_at <= arrow_cast('{stamp}', {utc})"
        self.tables.delete(ctx, name, f"{held} AND {before}")
        return ReloadResult(table, rows.num_rows, rows.num_rows - again, again, result.version)


def _flag(check: Check, existing: str, keys: list[str] | None) -> str:
    if check.kind != "unique":
        return sql.flag(check, NEW)
    within = not keys or sorted(keys) != sorted(check.columns)  # an upsert's last row wins
    flag = sql.flag(check, NEW, existing)
    if within:
        return flag
    key_list = ", ".join(quote(c) for c in check.columns)
    key_tuple = f"({key_list})" if len(check.columns) > 1 else key_list
    return f"coalesce({key_tuple} IN (SELECT {key_list} FROM {existing}), FALSE)"


def _kept_sql(keys: list[str] | None) -> str:
    """The existing rows that stay after the write (a subquery)."""
    if not keys:
        return OLD
    key_list = ", ".join(quote(k) for k in keys)
    return f"(SELECT * FROM {OLD} ANTI JOIN {NEW} USING ({key_list}))"


def _result_sql(mode: str, keys: list[str] | None) -> str:
    if mode == "overwrite":
        return f"SELECT * FROM {GOOD}"
    if keys:
        key_list = ", ".join(quote(k) for k in keys)
        return (
            f"SELECT * FROM (SELECT * FROM {OLD} ANTI JOIN {GOOD} USING ({key_list})) "
            f"UNION ALL BY NAME SELECT * FROM {GOOD}"
        )
    return f"SELECT * FROM {OLD} UNION ALL BY NAME SELECT * FROM {GOOD}"


def _reasons(failing: list[tuple[Check, pa.Array]], rows: int) -> list[dict[str, str]]:
    names: list[list[str]] = [[] for _ in range(rows)]
    columns: list[list[str]] = [[] for _ in range(rows)]
    for check, flags in failing:
        for i, hit in enumerate(flags.to_pylist()):
            if hit:
                names[i].append(check.name)
                columns[i].extend(c for c in check.columns if c not in columns[i])
    return [
        {"names": ", ".join(n), "columns": ", ".join(c)}
        for n, c in zip(names, columns, strict=True)
    ]


def _typed(records: list[dict[str, Any]], schema: pa.Schema, table: str) -> pa.Table:
    """Quarantined JSON rows back in the table's column types."""
    data = pa.Table.from_pylist(records)
    columns = []
    for name in data.column_names:
        column = data.column(name)
        if name in schema.names:
            try:
                column = pc.cast(column, schema.field(name).type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InvalidInputError(
                    f"quarantined values of {table}.{name} do not convert to "
                    f"{schema.field(name).type}: {exc}",
                    hint=f"fix them in {quarantine_table(table)} and reload again",
                    table=table,
                ) from exc
        columns.append(column)
    return pa.table(columns, names=data.column_names)
