"""The quality service (``platform.quality``): declare checks, run them, read results.

Example:
    >>> from lakeworks.quality import checks as qc
    >>> ws.quality.add("orders", [qc.not_null("id"), qc.unique("id")])  # doctest: +SKIP
    >>> ws.quality.run("orders").passed  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.hooks import Hook
from lakeworks.lake import scans
from lakeworks.lake.versions import arrow_schema
from lakeworks.quality import alerts, evaluate, gate, profiles
from lakeworks.quality import compile as sql
from lakeworks.quality.checks import Check
from lakeworks.quality.reports import QualityReport, ReloadResult
from lakeworks.quality.store import CheckInfo, CheckResult, Profile, QualityStore
from lakeworks.quality.validate import validate

log = logging.getLogger("lakeworks.quality")

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeworks.platform import Platform

TARGET = "__lw_target"


class Quality:
    """Checks, results, gates and profiles of a platform's tables."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.store = QualityStore(platform.catalog)
        self.metrics = alerts.QualityMetrics()
        self._gate = gate.Gate(self)
        self._db: duckdb.DuckDBPyConnection | None = None
        self._profiler: ThreadPoolExecutor | None = None

    def duck(self) -> duckdb.DuckDBPyConnection:
        """A fresh connection to this service's in-memory DuckDB (opening a database costs
        ~20 ms; a cursor on an open one is nearly free). Temp views stay per connection."""
        if self._db is None:
            self._db = duckdb.connect()
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
        schema = arrow_schema(self.platform.tables.open(ctx, table))
        names = [c.name for c in checks]
        if len(set(names)) != len(names):
            raise InvalidInputError(
                f"two checks share a name: {names}", hint="pass name=... to tell them apart"
            )
        for check in checks:
            validate(check, table, schema, lambda other: self._schema_of(ctx, other), self.duck)
        return self.store.add_checks(ctx.workspace, table, checks, ctx.user)

    def checks(self, ctx: Context, table: str) -> list[CheckInfo]:
        self.platform.tables.entry(ctx, table)
        return self.store.checks(ctx.workspace, table)

    def remove(self, ctx: Context, table: str, name: str) -> None:
        self.store.remove_check(ctx.workspace, table, name)

    # running ------------------------------------------------------------------------
    def run(self, ctx: Context, table: str, version: int | None = None) -> QualityReport:
        """Evaluate every check of ``table`` on a version (default: the latest); stored."""
        infos = self.checks(ctx, table)
        dt = self.platform.tables.open(ctx, table, version=version)
        checks = [i.check for i in infos]
        con = self.connect(ctx, dt, checks)
        try:
            history = self.history(ctx, table, before=dt.version())
            outcomes = evaluate.run(con, TARGET, checks, history)
        finally:
            con.close()
        return self.record(ctx, table, dt.version(), "manual", outcomes, checks)

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
        self.platform.tables.entry(ctx, table)
        return self.store.results(ctx.workspace, table, run_id=run_id, check=check, limit=limit)

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
        dt = self.platform.tables.open(ctx, table, version=version)
        stored = self.store.profile(ctx.workspace, table, dt.version())
        if stored is not None:
            return stored
        con = self.duck()
        try:
            scans.register(con, TARGET, dt, self.platform)
            rows, columns = profiles.compute(con, TARGET, arrow_schema(dt))
        finally:
            con.close()
        return self.store.save_profile(ctx.workspace, table, dt.version(), rows, columns)

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
            scans.register(con, TARGET, dt, self.platform)
        for check in checks:
            if check.kind == "references":
                other = self.platform.tables.open(ctx, check.params["table"])
                scans.register(con, sql.ref_view(check), other, self.platform)
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
        run_id = uuid.uuid4().hex
        results = self.store.save_results(ctx.workspace, table, version, run_id, trigger, outcomes)
        report = QualityReport(
            ctx.workspace, table, version, run_id, trigger, tuple(results), quarantined
        )
        self.metrics.observe(report, refused)
        problems = {r.check for r in report.failed + report.warned}
        alerts.send(report, {c.webhook for c in checks if c.webhook and c.name in problems})
        return report

    def _schema_of(self, ctx: Context, table: str) -> pa.Schema | None:
        if not self.platform.tables.exists(ctx, table):
            return None
        return arrow_schema(self.platform.tables.open(ctx, table))


class QualityHook(Hook):
    """Stores the results of gated writes once their version is known, and profiles each
    new table version."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def write_finished(
        self, *, ctx: Context, table: str, write_id: str, version: int, **_: Any
    ) -> None:
        quality = self.platform.quality
        quality._gate.commit(ctx, table, write_id, version)
        if not table.endswith("__quarantine"):
            quality.profile_later(ctx, table, version)

    def write_failed(self, *, write_id: str, **_: Any) -> None:
        self.platform.quality._gate.forget(write_id)
