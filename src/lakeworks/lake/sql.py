"""SQL over a workspace's tables with DuckDB.

Each query gets its own DuckDB connection that can see only the tables of the caller's
workspace: the referenced tables become views, then file access is limited to their
folders and the spill folder. Time travel: ``orders@v3`` reads version 3 and
``orders@2026-11-27T10:00:00Z`` the version current at that instant.
``CREATE [OR REPLACE] TABLE x AS SELECT ...`` and ``INSERT INTO x SELECT ...`` write
versioned tables.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from lakeworks import hooks
from lakeworks.context import Context
from lakeworks.errors import (
    CancelledError,
    InvalidInputError,
    LakeworksError,
    NotFoundError,
    QueryError,
)
from lakeworks.lake import duck, results, scans, statements
from lakeworks.lake.cancel import Scope, Statements
from lakeworks.lake.names import tables_read
from lakeworks.lake.versions import add_actions, open_delta
from lakeworks.limits import SQL_SCANNED_BYTES, NoMeter

if TYPE_CHECKING:
    import pandas
    import polars
    from deltalake import DeltaTable

    from lakeworks.config import Settings
    from lakeworks.hooks import Hooks
    from lakeworks.lake.masks import TableMasks
    from lakeworks.lake.storage import Storage
    from lakeworks.lake.tables import Tables, WriteResult
    from lakeworks.limits import Meter
    from lakeworks.meta.catalog import Catalog, TableEntry

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_TIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
_TRAVEL = re.compile(rf"\b({_IDENT})@(v\d+|{_TIME})(?![\w:.+-])")
_CTAS = re.compile(
    rf"^\s*create\s+(or\s+replace\s+)?table\s+(?:if\s+not\s+exists\s+)?({_IDENT})"
    rf"\s+as\s+(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_INSERT = re.compile(
    rf"^\s*insert\s+into\s+({_IDENT})\s+(select|with|from)\b(.*)$", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class TableRead:
    """A table version a query read (for lineage)."""

    table: str
    version: int


def split_quoted(sql: str) -> list[tuple[bool, str]]:
    """Split SQL into (is_code, text) pieces, so rewrites never touch string literals."""
    pieces, i, start = [], 0, 0
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"":
            pieces.append((True, sql[start:i]))
            end = i + 1
            while end < len(sql):
                if sql[end] == ch and (end + 1 >= len(sql) or sql[end + 1] != ch):
                    break
                end += 2 if sql[end] == ch else 1
            pieces.append((False, sql[i : end + 1]))
            i = start = end + 1
            continue
        i += 1
    pieces.append((True, sql[start:]))
    return pieces


class Query:
    """A bound query: validated on creation, run when a result is asked for.

    Results: ``arrow()``, ``to_pandas()``, ``to_polars()``, ``batches()`` (a stream that
    never holds the whole result in memory), or ``save("name")`` into a new table version.
    Each of them runs the statement, stopped after ``timeout`` seconds (None: the
    ``statement_timeout`` setting; 0: no limit) or when ``scope`` is cancelled.
    """

    def __init__(
        self,
        engine: SqlEngine,
        ctx: Context,
        sql: str,
        timeout: float | None = None,
        scope: Scope | None = None,
    ) -> None:
        self._engine = engine
        self._ctx = ctx
        self.sql = sql
        self.timeout = engine.settings.statement_timeout if timeout is None else timeout
        self._scope = scope
        self._stopped: CancelledError | None = None  # why the last run was stopped
        self.con, self.reads, self._rewritten = engine.connect(ctx, sql)
        try:
            self._relation = self.con.sql(self._rewritten)
        except duckdb.Error as exc:
            self.con.close()
            raise _query_error(exc, sql, engine.table_names(ctx)) from exc

    @property
    def schema(self) -> pa.Schema:
        return self._run(lambda: self._relation.limit(0).to_arrow_table().schema)

    def arrow(self) -> pa.Table:
        return self._run(lambda: results.arrow(self._relation))

    def to_pandas(self) -> pandas.DataFrame:
        return self._run(lambda: results.to_pandas(self._relation))

    def to_polars(self) -> polars.DataFrame:
        return self._run(lambda: results.to_polars(self._relation))

    def batches(self, rows_per_batch: int = 100_000) -> pa.RecordBatchReader:
        """Stream the result; DuckDB spills to disk so results larger than memory work.

        The statement's time limit covers the whole stream, until it is read or closed.
        """
        stream = self._hold(rows_per_batch)
        schema = next(stream)  # starts the statement under its watch
        return pa.RecordBatchReader.from_batches(schema, stream)

    def save(self, name: str, mode: str = "error") -> WriteResult:
        """Write the result as a table version (``mode``: error, append or overwrite)."""
        tables = self._engine.tables
        reads = tuple((r.table, r.version) for r in self.reads)
        with hooks.reading(kind="sql", tables=reads, sql=self.sql, rewritten=self._rewritten):
            try:
                if mode != "error":
                    return tables.write(self._ctx, name, self.batches(), mode=mode)
                return tables.create(self._ctx, name, self.batches())
            except LakeworksError as exc:  # the writer reports a stopped stream as its own error
                if self._stopped is None:
                    raise
                raise self._stopped from exc

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._run(lambda: self._relation.fetchall())

    def _hold(self, rows_per_batch: int) -> Iterator[Any]:
        """The schema, then the batches; the watch lasts until the stream ends or closes."""
        self._stopped = None
        try:
            with self._watch():
                try:
                    reader = self._relation.to_arrow_reader(rows_per_batch)
                except duckdb.Error as exc:
                    raise _query_error(exc, self.sql, []) from exc
                try:
                    yield reader.schema
                    yield from reader  # keeps the connection alive while the stream is read
                finally:
                    reader.close()
        except CancelledError as exc:
            self._stopped = exc
            raise

    def _run(self, fn):  # noqa: ANN001, ANN202
        with self._watch():
            try:
                return fn()
            except duckdb.Error as exc:
                raise _query_error(exc, self.sql, []) from exc

    def _watch(self):  # noqa: ANN202
        statements = self._engine.statements
        return statements.watch(self.con, self.sql, timeout=self.timeout, scope=self._scope)

    def __repr__(self) -> str:
        return f"Query({self.sql!r})"


class SqlEngine:
    """Runs SQL for every workspace of a platform.

    Each workspace has one in-memory DuckDB database, opened on first use and locked down
    before any user statement (file access only under the workspace's table folder and its
    own spill folder; no extension installed or loaded; settings frozen). Each query runs
    on its own cursor of it, so the ~15 ms of opening a database is paid once, while views
    stay private to the query.
    """

    def __init__(
        self, catalog: Catalog, storage: Storage, settings: Settings, tables: Tables, hooks: Hooks
    ) -> None:
        self.catalog = catalog
        self.storage = storage
        self.settings = settings
        self.tables = tables
        self.hooks = hooks
        self.meter: Meter = NoMeter()  # the platform plugs usage metering in
        self._databases: dict[tuple[str, bool], duckdb.DuckDBPyConnection] = {}
        self._lock = threading.Lock()
        self.statements = Statements()  # running statements: timeouts, cancel on shutdown

    def close(self) -> None:
        with self._lock:
            for db in self._databases.values():
                db.close()
            self._databases.clear()

    def _database(self, workspace: str, masked: bool = False) -> duckdb.DuckDBPyConnection:
        with self._lock:
            db = self._databases.get((workspace, masked))
            if db is None:
                db = self._databases[workspace, masked] = self._open_database(workspace, masked)
            return db

    def _open_database(self, workspace: str, masked: bool) -> duckdb.DuckDBPyConnection:
        """The workspace's database; a masked reader's may read no table file at all (its
        views scan Arrow datasets), so no file function reaches unmasked values."""
        if not masked:
            folders = duck.table_folders(self.storage, workspace)
            return duck.sandbox(self.settings, workspace, folders)
        spill = duck.spill_folder(self.settings, workspace)
        con = duck.connect(self.settings, spill)
        self.tables.mask.register(con)
        duck.lock_down(con, [str(spill) + "/"])
        return con

    def table_names(self, ctx: Context) -> list[str]:
        return [t.name for t in self.catalog.tables(ctx.workspace)]

    def query(
        self, ctx: Context, sql: str, timeout: float | None = None, scope: Scope | None = None
    ) -> Query:
        return Query(self, ctx, sql, timeout, scope)

    def execute(
        self, ctx: Context, sql: str, timeout: float | None = None, scope: Scope | None = None
    ) -> Query | WriteResult:
        """Run any statement: a write for CREATE TABLE AS / INSERT INTO, else a Query.

        ``timeout`` (seconds; None: the ``statement_timeout`` setting; 0: none) and
        ``scope`` (cancel it to stop the statement) apply to every run of the statement.
        """
        if match := _CTAS.match(sql):
            replace, name, select = match.groups()
            query = self.query(ctx, select, timeout, scope)
            return query.save(name, mode="overwrite" if replace else "error")
        if match := _INSERT.match(sql):
            name, keyword, rest = match.groups()
            self.tables.entry(ctx, name)
            return self.query(ctx, keyword + rest, timeout, scope).save(name, mode="append")
        return self.query(ctx, sql, timeout, scope)

    def connect(
        self, ctx: Context, sql: str
    ) -> tuple[duckdb.DuckDBPyConnection, list[TableRead], str]:
        """A connection with views for the tables ``sql`` names, and the rewritten SQL.

        Refuses anything but one query (``statements.check_query``) before a table is opened.
        Each table is opened afresh (not the snapshot ``Tables.current`` shares): on the
        loaded 2-vCPU benchmark machine, views over one long-lived snapshot made the tiny
        query bimodal (3.3 or 7-16 ms, the time spent waiting inside DuckDB calls), which
        opening per query never showed; see docs/benchmarks.md, issue 15 A/B.
        """
        # one catalog query per statement: every table of the workspace, by name
        entries = {t.name: t for t in self.catalog.tables(ctx.workspace)}
        masks = self.tables.mask.masks(ctx)  # personal data the caller may not see
        con = self._database(ctx.workspace, masked=bool(masks)).cursor()
        reads: list[TableRead] = []
        pieces = []
        try:
            for is_code, text in split_quoted(sql):
                if is_code:
                    text = _TRAVEL.sub(
                        lambda m: self._travel(con, ctx, m, entries, reads, masks), text
                    )
                pieces.append(text)
            rewritten = "".join(pieces)
            # refused unless one query, judged by what it does (EXPLAIN ANALYZE runs it)
            tree = statements.check_query(con, rewritten, shown=sql)
            for name in tables_read(tree, entries):  # from the parsed query, not its words
                dt = open_delta(entries[name].location, self.storage.options(), table=name)
                self._view(con, ctx, name, name, dt, reads, masks)
        except Exception:
            con.close()
            raise
        return con, reads, rewritten

    def _travel(
        self,
        con: duckdb.DuckDBPyConnection,
        ctx: Context,
        match: re.Match,
        entries: dict[str, TableEntry],
        reads: list[TableRead],
        masks: TableMasks,
    ) -> str:
        name, when = match.groups()
        if name not in entries:
            raise NotFoundError(
                f"table {name!r} does not exist in workspace {ctx.workspace!r}",
                table=name,
                workspace=ctx.workspace,
            )
        view = f"{name}@{when}"
        at = {"version": int(when[1:])} if when.startswith("v") else {"as_of": when}
        options = self.storage.options()
        dt = open_delta(entries[name].location, options, table=name, **at)
        self._view(con, ctx, view, name, dt, reads, masks)
        return scans.quote(view)

    def _view(
        self,
        con: duckdb.DuckDBPyConnection,
        ctx: Context,
        view: str,
        table: str,
        dt: DeltaTable,
        reads: list[TableRead],
        masks: TableMasks,
    ) -> None:
        native = not masks  # a masked reader's database reads no files
        scans.register(con, view, dt, self.storage, masks.get(table), native=native)
        version = dt.version()
        reads.append(TableRead(table, version))
        self.hooks.emit("table_read", ctx=ctx, table=table, version=version)
        # bytes scanned: the Delta files of the version read (before DuckDB prunes any)
        sizes = add_actions(dt).column("size_bytes")
        self.meter.record(ctx, SQL_SCANNED_BYTES, pc.sum(sizes).as_py() or 0, obj=table)


def _query_error(exc: duckdb.Error, sql: str, tables: list[str]) -> Exception:
    message = str(exc).split("\n")[0]
    match = re.search(r"Table with name (\S+) does not exist", message)
    if isinstance(exc, duckdb.CatalogException) and match:  # not a missing function or type
        name = match.group(1)
        return NotFoundError(
            f"the query names table {name!r}, which does not exist",
            hint=f"tables in this workspace: {sorted(tables)}",
            table=name,
            sql=sql,
        )
    if isinstance(exc, duckdb.PermissionException):
        return InvalidInputError(
            f"the query reads files outside this workspace: {message}",
            hint="query tables by name",
            sql=sql,
        )
    return QueryError(f"the query failed: {message}", sql=sql, duckdb_error=str(exc))
