"""The quality service (``platform.quality``): declare checks, run them, read results.

Example:
    >>> from lakeworks.quality import checks as qc
    >>> ws.quality.add("orders", [qc.not_null("id"), qc.unique("id")])  # doctest: +SKIP
    >>> ws.quality.run("orders").passed  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from lakeworks.cache import BoundedCache
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.hooks import Hook
from lakeworks.lake import duck, scans
from lakeworks.lake.versions import arrow_schema
from lakeworks.quality import alerts, evaluate, gate, profiles, stats
from lakeworks.quality import compile as sql
from lakeworks.quality.checks import Check
from lakeworks.quality.reports import QualityReport, ReloadResult
from lakeworks.quality.store import CheckInfo, CheckResult, Profile, QualityStore
from lakeworks.quality.validate import validate

log = logging.getLogger("lakeworks.quality")

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables
    from lakeworks.meta.catalog import Catalog

TARGET = "__lw_target"


@dataclass(frozen=True)
class _Scan:
    """How a snapshot is read: its Parquet files (None: not scanned by path), schema and,
    on first ask, its files' statistics."""

    dt: DeltaTable
    files: list[str] | None
    schema: pa.Schema

    @cached_property
    def stats(self) -> stats.Stats:
        return stats.of(self.dt, self.schema)


@dataclass(frozen=True)
class _Target:
    """A table to check: how its snapshot is read, and its checks."""

    scan: _Scan
    checks: list[Check]


class Quality:
    """Checks, results, gates and profiles of a platform's tables."""

    def __init__(
        self, catalog: Catalog, storage: Storage, settings: Settings, tables: Tables
    ) -> None:
        self.catalog = catalog
        self.storage = storage
        self.settings = settings
        self.tables = tables
        self.store = QualityStore(catalog)
        self.metrics = alerts.QualityMetrics()
        self._gate = gate.Gate(self)
        self._db: duckdb.DuckDBPyConnection | None = None
        self._profiler: ThreadPoolExecutor | None = None
        # how each table version is read, by (Delta table id, version): a version's files
        # never change, and a table dropped and made again under its name has a new id, so
        # an entry is never stale; at most 4,096 versions kept
        self._scans: BoundedCache[_Scan] = BoundedCache(4096)

    def duck(self) -> duckdb.DuckDBPyConnection:
        """A fresh connection to this service's in-memory DuckDB (opening a database costs
        ~20 ms; a cursor on an open one is nearly free). Temp views stay per connection.

        Parquet footers are cached (DuckDB checks each file's modification time, and a
        Delta table's files never change), so checking a table again reads only its data.
        """
        if self._db is None:
            self._db = duck.lake_reader(self.settings, self.storage)
        return self._db.cursor()

    # declaring ----------------------------------------------------------------------
    def add(self, ctx: Context, table: str, checks: Check | list[Check]) -> list[CheckInfo]:
        """Attach checks to an existing table, validating each against its schema first."""
        checks = [checks] if isinstance(checks, Check) else list(checks)
        if not checks or not all(isinstance(c, Check) for c in checks):
            raise InvalidInputError(
                "add needs checks made with lakeworks.quality.checks (qc.not_null(...), ...)",
                table=table,
            )
        schema = arrow_schema(self.tables.open(ctx, table))
        names = [c.name for c in checks]
        if len(set(names)) != len(names):
            raise InvalidInputError(
                f"two checks share a name: {names}", hint="pass name=... to tell them apart"
            )
        for check in checks:
            validate(check, table, schema, lambda other: self._schema_of(ctx, other), self.duck)
        return self.store.add_checks(ctx.workspace, table, checks, ctx.user)

    def checks(self, ctx: Context, table: str) -> list[CheckInfo]:
        self.tables.entry(ctx, table)
        return self.store.checks(ctx.workspace, table)

    def remove(self, ctx: Context, table: str, name: str) -> None:
        self.store.remove_check(ctx.workspace, table, name)

    # running ------------------------------------------------------------------------
    def run(self, ctx: Context, table: str, version: int | None = None) -> QualityReport:
        """Evaluate every check of ``table`` on a version (default: the latest); stored."""
        if version is None:
            return self.run_many(ctx, [table])[0]
        dt = self.tables.open(ctx, table, version=version)
        checks = [i.check for i in self.store.checks(ctx.workspace, table)]
        outcomes = self._evaluate(ctx, table, dt, checks)
        return self.record(ctx, table, dt.version(), "manual", outcomes, checks)

    def run_many(self, ctx: Context, tables: list[str] | None = None) -> list[QualityReport]:
        """Evaluate the checks of many tables at their latest versions; one stored report
        per table, in the order asked (by name when ``tables`` is None: every table of the
        workspace that has checks).

        Tables on local disk that share a schema and the same check SQL are checked
        together in one DuckDB scan of all their files, which is what makes checking
        1,000 small tables cheap; the others get one query each. Results of all tables
        are stored in one transaction.
        """
        declared = self.store.checks_of(ctx.workspace, tables)
        names = sorted(declared) if tables is None else list(dict.fromkeys(tables))
        entries = {e.name: e for e in self.catalog.tables(ctx.workspace, names)}
        if tables is None:
            names = [n for n in names if n in entries]
        missing = [n for n in names if n not in entries]
        if missing:
            self.tables.entry(ctx, missing[0])  # NotFoundError naming it
        targets: dict[str, _Target] = {}
        groups: dict[Any, list[str]] = {}
        for name in names:
            dt = self.tables.current(ctx, name, entries[name])
            checks = [i.check for i in declared.get(name, [])]
            targets[name] = _Target(self._scan(dt), checks)
            groups.setdefault(self._group_key(targets[name]), []).append(name)
        evaluated: dict[str, list[evaluate.Outcome]] = {}
        for key, members in groups.items():
            if key is not None:  # one scan per group, a group of one too (no temp view)
                evaluated.update(self._evaluate_group(ctx, members, targets))
        for name in names:
            if name not in evaluated:
                target = targets[name]
                evaluated[name] = self._evaluate(ctx, name, target.scan.dt, target.checks)
        runs = [
            (n, targets[n].scan.dt.version(), "manual", evaluated[n], targets[n].checks)
            for n in names
        ]
        return self._record_many(ctx, runs)

    def _scan(self, dt: DeltaTable) -> _Scan:
        """How ``dt`` is read (its files, schema and statistics), kept per table version."""
        return self._scans.get_or_make(
            (dt.metadata().id, dt.version()),
            lambda: _Scan(dt, scans.native_files(dt, self.storage), arrow_schema(dt)),
        )

    def _group_key(self, target: _Target) -> Any:
        """Tables with equal keys are checked in one scan; None: check it alone."""
        if not target.scan.files or not target.checks:
            return None
        if any(c.kind == "references" for c in target.checks):
            return None
        return tuple(c.summary_sql for c in target.checks), target.scan.schema

    def _evaluate(
        self, ctx: Context, table: str, dt: DeltaTable, checks: list[Check]
    ) -> list[evaluate.Outcome]:
        con = self.connect(ctx, dt, checks)
        try:
            return evaluate.run(con, TARGET, checks, self.history(ctx, table, dt.version()))
        finally:
            con.close()

    def _evaluate_group(
        self, ctx: Context, members: list[str], targets: dict[str, _Target]
    ) -> dict[str, list[evaluate.Outcome]]:
        """One scan for tables whose checks compile to the same SQL (names, severities and
        thresholds may differ: each table is judged by its own checks). Checks that the
        files' statistics settle for every table are left out of it, and with none left
        there is no scan. A table the scan finds no rows of is left out, to be evaluated
        alone."""
        con = self.duck()
        try:
            found = self._summaries_of(con, members, targets)
            now, done = datetime.now(UTC), {}
            for name in members:
                if name not in found:
                    continue
                target, (total, values) = targets[name], found[name]
                history = self.history(ctx, name, target.scan.dt.version())
                outcomes = evaluate.judge_all(target.checks, total, values, history, now)
                if any(o.status != "passed" and o.check.row_level for o in outcomes):
                    scans.register(con, TARGET, target.scan.dt, self.storage)
                    outcomes = evaluate.with_samples(con, TARGET, outcomes, evaluate.SAMPLE_ROWS)
                done[name] = outcomes
            return done
        finally:
            con.close()

    def _summaries_of(
        self, con: duckdb.DuckDBPyConnection, members: list[str], targets: dict[str, _Target]
    ) -> dict[str, tuple[int, tuple[Any, ...]]]:
        """``evaluate.summaries`` of a group, scanning only the checks that the files'
        statistics leave unsettled for some table (none: no scan)."""
        first = targets[members[0]]
        checks = first.checks
        if any(stats.settles(c) for c in checks):
            settled = {n: [stats.settle(targets[n].scan.stats, c) for c in checks] for n in members}
        else:  # no need to read the statistics
            settled = {n: [stats.UNSETTLED] * len(checks) for n in members}
        scanned = [
            i for i in range(len(checks)) if any(settled[n][i] is stats.UNSETTLED for n in members)
        ]
        if not scanned and all(targets[n].scan.stats.rows is not None for n in members):
            return {n: (targets[n].scan.stats.rows, tuple(settled[n])) for n in members}
        files = {n: targets[n].scan.files or [] for n in members}
        if any(checks[i].kind == "unique" for i in scanned):
            tables = [targets[n].scan.stats for n in members]
            keys = [stats.key_range(tables, checks[i], first.scan.schema) for i in scanned]
            ranges = {at: key for at, key in enumerate(keys) if key is not None}
        else:
            ranges = {}
        found = evaluate.summaries(
            con, files, first.scan.schema.names, [checks[i] for i in scanned], ranges
        )
        for name, (total, values) in found.items():
            merged = settled[name]
            for i, value in zip(scanned, values, strict=True):
                merged[i] = value
            found[name] = (total, tuple(merged))
        return found

    def results(
        self,
        ctx: Context,
        table: str,
        *,
        run_id: str | None = None,
        check: str | None = None,
        limit: int = 100,
    ) -> list[CheckResult]:
        """Stored results, newest first."""
        self.tables.entry(ctx, table)
        return self.store.results(ctx.workspace, table, run_id=run_id, check=check, limit=limit)

    def failures(self, ctx: Context, limit: int = 20) -> list[CheckResult]:
        """The newest check results of the workspace that did not pass, newest first."""
        return self.store.failures(ctx.workspace, limit)

    def reload(self, ctx: Context, table: str, where: str | None = None) -> ReloadResult:
        """Write a table's quarantined rows (those checks held) again, through the checks."""
        return self._gate.reload(ctx, table, where)

    def gate(
        self,
        ctx: Context,
        table: str,
        reader: pa.RecordBatchReader,
        *,
        write_id: str,
        mode: str = "append",
        keys: list[str] | None = None,
    ) -> tuple[pa.RecordBatchReader, int]:
        """Called by the table service before a write commits; see ``quality.gate``."""
        return self._gate.apply(ctx, table, reader, write_id=write_id, mode=mode, keys=keys)

    # profiles -----------------------------------------------------------------------
    def profile(self, ctx: Context, table: str, version: int | None = None) -> Profile:
        """The profile of a version (default: latest), computed and stored on first ask."""
        dt = self.tables.open(ctx, table, version=version)
        stored = self.store.profile(ctx.workspace, table, dt.version())
        if stored is None:
            con = self.duck()
            try:
                scans.register(con, TARGET, dt, self.storage)
                rows, columns = profiles.compute(con, TARGET, arrow_schema(dt))
            finally:
                con.close()
            stored = self.store.save_profile(ctx.workspace, table, dt.version(), rows, columns)
        # values of personal data (min, max, top) are not shown to whom reads them masked
        return profiles.masked(stored, self.tables.mask.masks(ctx).get(table))

    def profile_later(self, ctx: Context, table: str, version: int) -> None:
        """Profile a new version off the write path, on one background thread.

        A write returns as soon as it commits; ``close()`` (and interpreter exit) waits for
        the profiles still queued, and ``profile()`` computes one on demand if asked first.
        """
        if self._profiler is None:
            self._profiler = ThreadPoolExecutor(1, thread_name_prefix="lakeworks-profile")
        self._profiler.submit(self._profile_quietly, ctx, table, version)

    def _profile_quietly(self, ctx: Context, table: str, version: int) -> None:
        try:
            self.profile(ctx, table, version)
        except Exception:  # a profile never fails a write; the log says why it is missing
            log.exception("profiling %s version %s failed", table, version)

    def close(self) -> None:
        """Wait for queued profiles."""
        if self._profiler is not None:
            self._profiler.shutdown(wait=True)
            self._profiler = None

    # shared with the gate -----------------------------------------------------------
    def connect(self, ctx: Context, dt: DeltaTable | None, checks: list[Check]) -> Any:
        """A DuckDB connection with the table as ``__lw_target`` and referenced tables."""
        con = self.duck()
        if dt is not None:
            scans.register(con, TARGET, dt, self.storage)
        for check in checks:
            if check.kind == "references":
                other = self.tables.open(ctx, check.params["table"])
                scans.register(con, sql.ref_view(check), other, self.storage)
        return con

    def history(self, ctx: Context, table: str, before: int) -> evaluate.History:
        workspace_id = self.store._workspace_id(ctx.workspace)

        def observed(check: Check) -> list[float]:
            window = check.params.get("window", 30)
            return self.store.observed_history(workspace_id, table, check.name, window, before)

        return observed

    def record(
        self,
        ctx: Context,
        table: str,
        version: int | None,
        trigger: str,
        outcomes: list[evaluate.Outcome],
        checks: list[Check],
        quarantined: int = 0,
        refused: bool = False,
    ) -> QualityReport:
        """Store the outcomes as results, count them, and alert the webhooks."""
        run = (table, version, trigger, outcomes, checks)
        return self._record_many(ctx, [run], quarantined, refused)[0]

    def _record_many(
        self,
        ctx: Context,
        runs: list[tuple[str, int | None, str, list[evaluate.Outcome], list[Check]]],
        quarantined: int = 0,
        refused: bool = False,
    ) -> list[QualityReport]:
        """``record`` for several runs of (table, version, trigger, outcomes, checks), stored
        in one transaction."""
        run_ids = [new_run_id() for _ in runs]
        rows = [(r[0], r[1], i, r[2], r[3]) for r, i in zip(runs, run_ids, strict=True)]
        stored = self.store.save_runs(ctx.workspace, rows)
        reports = []
        for run, run_id, results in zip(runs, run_ids, stored, strict=True):
            table, version, trigger, _, checks = run
            report = QualityReport(
                ctx.workspace, table, version, run_id, trigger, tuple(results), quarantined
            )
            self.metrics.observe(report, refused)
            problems = {r.check for r in results if r.status != "passed"}
            if problems:
                hooks = {c.webhook for c in checks if c.webhook and c.name in problems}
                alerts.send(report, hooks)
            reports.append(report)
        return reports

    def _schema_of(self, ctx: Context, table: str) -> pa.Schema | None:
        if not self.tables.exists(ctx, table):
            return None
        return arrow_schema(self.tables.open(ctx, table))


def new_run_id() -> str:
    """A new run id: 32 hex digits that sort by time (nanoseconds, then 64 random bits),
    as a UUIDv7 does, so that its index grows at one end (~10% off storing results)."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


class QualityHook(Hook):
    """Stores the results of gated writes once their version is known.

    It does not profile the new version: a profile is computed when someone asks for it
    (``Quality.profile``), so a load's process does not wait at exit for a background
    profile it never asked for (2.6 s after a 2M-row load).
    """

    def __init__(self, quality: Quality) -> None:
        self.quality = quality

    def write_finished(
        self, *, ctx: Context, table: str, write_id: str, version: int, **_: Any
    ) -> None:
        self.quality._gate.commit(ctx, table, write_id, version)

    def write_failed(self, *, write_id: str, **_: Any) -> None:
        self.quality._gate.forget(write_id)
