"""Feature view sources as DuckDB views, each row carrying the time lakeworks learned it.

The known-at time of a row (column ``_lw_known_at``) is:

1. its ``_lw_ingested_at`` value when the source has that column (rows written by
   ``features.push``: the time the online store got them), else
2. the commit time of the Delta version that added the row's file. A file's adding
   commit is the first commit at or after the file's modification time (delta-rs stamps
   a file just before committing it). Files written by OPTIMIZE (compaction) hold rows
   that were all known by the previous data-changing commit, so they get that commit's
   time: compaction never makes history "unknown". Rows rewritten by a MERGE/DELETE/
   overwrite get the time of that commit (later than the truth: safe, never a leak).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, LakeworksError, NotFoundError, QueryError
from lakeworks.lake import duck, scans, statements
from lakeworks.lake.names import tables_read
from lakeworks.lake.versions import add_actions, arrow_schema

if TYPE_CHECKING:
    from lakeworks.features.definitions import Entity, FeatureView
    from lakeworks.platform import Platform

KNOWN_AT = "_lw_known_at"
INGESTED_AT = "_lw_ingested_at"
_FILE = "_lw_file"
_NO_DATA_CHANGE = {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES"}


@dataclass(frozen=True)
class TableRead:
    """A table version a training set or materialization read (for lineage)."""

    table: str
    version: int


def connect(platform: Platform) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection configured like the SQL engine's, in UTC."""
    con = duck.connect(platform.settings)
    con.execute("SET TimeZone = 'UTC'")
    return con


def lock_down(con: duckdb.DuckDBPyConnection, folders: list[str], platform: Platform) -> None:
    """SQL on ``con`` can read only ``folders`` and the scratch folder (as ``ws.sql``).

    A connection :class:`SourceViews` already locked (to its workspace) stays as it is.
    """
    if not duck.locked(con):
        duck.lock_down(con, [*folders, str(platform.settings.scratch_dir) + "/"])


class SourceViews:
    """Registers the sources of feature views in one connection, each table once.

    The connection is locked down to the workspace (its table folder and its own spill
    folder) before any source is registered, so a source query never runs unrestricted.
    """

    def __init__(self, platform: Platform, ctx: Context, con: duckdb.DuckDBPyConnection) -> None:
        self.platform = platform
        self.ctx = ctx
        self.con = con
        _confine(con, platform, ctx.workspace)
        self.folders: list[str] = []
        self.reads: dict[str, TableRead] = {}
        # per table: (location, Delta table id, version), the same only for the same data
        self.identities: dict[str, tuple[str, str, int]] = {}
        self._tables: dict[str, tuple[str, pa.Schema]] = {}

    def add(self, view: FeatureView, name: str) -> pa.Schema:
        """Create DuckDB view ``name``: the source's rows with a ``_lw_known_at`` column."""
        if view.source_is_query:
            return self._query(view, name)
        relation, schema = self._table(view.source, view=view.name)
        self.con.execute(f"CREATE TEMP VIEW {scans.quote(name)} AS SELECT * FROM {relation}")
        return schema

    def _table(self, table: str, view: str | None = None) -> tuple[str, pa.Schema]:
        if table not in self._tables:
            if not self.platform.tables.exists(self.ctx, table):
                raise NotFoundError(
                    f"table {table!r}"
                    + (f", the source of feature view {view!r}," if view else "")
                    + f" does not exist in workspace {self.ctx.workspace!r}",
                    hint="write the table (or push rows to the view) first",
                    table=table,
                )
            dt = self.platform.tables.open(self.ctx, table)
            relation = scans.quote(table)
            schema = _register(self.con, relation, dt, self.platform, table)
            self.folders.append(dt.table_uri.removeprefix("file://").rstrip("/") + "/")
            self.reads[table] = TableRead(table, dt.version())
            self.identities[table] = (dt.table_uri, dt.metadata().id, dt.version())
            self._tables[table] = (relation, schema)
        return self._tables[table]

    def _query(self, view: FeatureView, name: str) -> pa.Schema:
        # tables become views under their own names, as in ws.sql; each keeps _lw_known_at
        try:
            statements.check_query(self.con, view.source)
            names = {t.name for t in self.platform.catalog.tables(self.ctx.workspace)}
            for table in tables_read(self.con, view.source, names):
                self._table(table)
        except QueryError as exc:
            raise InvalidInputError(
                f"the source query of feature view {view.name!r} is refused: {exc.message}",
                hint="a source is one SELECT over the workspace's tables",
                view=view.name,
            ) from exc
        try:
            self.con.execute(f"CREATE TEMP VIEW {scans.quote(name)} AS {view.source}")
            schema = self.con.sql(f"SELECT * FROM {scans.quote(name)} LIMIT 0").to_arrow_table()
        except duckdb.Error as exc:
            raise InvalidInputError(
                f"the source query of feature view {view.name!r} failed: "
                f"{str(exc).splitlines()[0]}",
                hint="check it with ws.sql(...) first",
                view=view.name,
            ) from exc
        return schema.schema


def _confine(con: duckdb.DuckDBPyConnection, platform: Platform, workspace: str) -> None:
    if duck.locked(con):
        return
    spill = duck.spill_folder(platform.settings, workspace)
    duck.set_spill(con, spill)
    duck.lock_down(con, [*duck.table_folders(platform.storage, workspace), str(spill) + "/"])


def check_source(platform: Platform, ctx: Context, view: FeatureView, entity: Entity) -> None:
    """Refuse a view whose source lacks its timestamp, join keys or features.

    A table source that does not exist yet is accepted (``push`` creates it).
    """
    if not view.source_is_query and not platform.tables.exists(ctx, view.source):
        return
    con = connect(platform)
    try:
        schema = SourceViews(platform, ctx, con).add(view, "__lw_check")
    finally:
        con.close()
    check_schema(view, entity, schema)


def check_schema(view: FeatureView, entity: Entity, schema: pa.Schema) -> None:
    where = f"the source {view.source!r} of feature view {view.name!r}"
    if len(where) > 120:
        where = f"the source query of feature view {view.name!r}"
    if view.timestamp not in schema.names:
        raise InvalidInputError(
            f"{where} has no timestamp column {view.timestamp!r}",
            hint=f"its columns are {[n for n in schema.names if n != KNOWN_AT]}",
            view=view.name,
            column=view.timestamp,
        )
    ts_type = schema.field(view.timestamp).type
    if not (pa.types.is_timestamp(ts_type) or pa.types.is_date(ts_type)):
        raise InvalidInputError(
            f"{where}: column {view.timestamp!r} is {ts_type}, not a timestamp",
            hint="cast it in a source query, e.g. CAST(col AS TIMESTAMP)",
            view=view.name,
            column=view.timestamp,
        )
    missing = [c for c in (*entity.join_keys, *view.features) if c not in schema.names]
    if missing:
        raise InvalidInputError(
            f"{where} has no column(s) {missing}",
            hint=f"its columns are {[n for n in schema.names if n != KNOWN_AT]}",
            view=view.name,
        )


def _register(
    con: duckdb.DuckDBPyConnection, relation: str, dt: DeltaTable, platform: Platform, table: str
) -> pa.Schema:
    schema = arrow_schema(dt)
    files = scans.native_files(dt, platform)
    columns = ", ".join(f"p.{scans.quote(n)}" for n in schema.names)
    ingested = f"p.{INGESTED_AT}, " if INGESTED_AT in schema.names else ""
    if files is None:
        if not ingested:
            raise LakeworksError(
                f"table {table!r} is on storage DuckDB cannot scan by file, so the time each "
                "row was learned is unknown",
                hint="use point_in_time='event', or write the rows through features.push",
                table=table,
            )
        raw = f"__lw_raw_{abs(hash((dt.table_uri, dt.version())))}"
        scans.register(con, raw, dt, platform)
        con.execute(
            f"CREATE TEMP VIEW {relation} AS SELECT *, {INGESTED_AT} AS {KNOWN_AT} FROM {raw}"
        )
        return schema.append(pa.field(KNOWN_AT, pa.timestamp("us", "UTC")))
    known = pa.table({_FILE: pa.array(files, pa.string()), KNOWN_AT: file_known_times(dt, files)})
    helper = f"__lw_files_{abs(hash((dt.table_uri, dt.version())))}"
    con.register(helper, known)
    if files:
        file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        scan = f"read_parquet({file_list}, union_by_name=true, filename='{_FILE}')"
    else:
        empty = schema.append(pa.field(_FILE, pa.string())).empty_table()
        con.register(helper + "_empty", empty)
        scan = helper + "_empty"
    con.execute(
        f"CREATE TEMP VIEW {relation} AS SELECT {columns}, "
        f"coalesce({ingested}k.{KNOWN_AT}) AS {KNOWN_AT} "
        f"FROM {scan} p JOIN {helper} k ON p.{_FILE} = k.{_FILE}"
    )
    return schema.append(pa.field(KNOWN_AT, pa.timestamp("us", "UTC")))


def file_known_times(dt: DeltaTable, files: list[str]) -> pa.Array:
    """For each file (as ``dt.file_uris()`` names it), when its rows became known."""
    actions = add_actions(dt)
    modified = dict(
        zip(
            (unquote(p) for p in actions.column("path").to_pylist()),
            actions.column("modification_time").to_pylist(),
            strict=True,
        )
    )
    commits = sorted((h["timestamp"], h.get("operation", "")) for h in dt.history())
    stamps = [c[0] for c in commits]
    effective, last_change = [], None
    for stamp, operation in commits:
        if operation not in _NO_DATA_CHANGE or last_change is None:
            last_change = stamp
        effective.append(last_change)
    root = dt.table_uri.removeprefix("file://").rstrip("/") + "/"
    out = []
    for uri in files:
        mtime = modified.get(uri.removeprefix(root))
        i = len(stamps) - 1 if mtime is None else bisect.bisect_left(stamps, mtime)
        out.append(effective[min(i, len(stamps) - 1)])
    return pa.array(
        [datetime.fromtimestamp(ms / 1000, UTC) for ms in out], pa.timestamp("us", "UTC")
    )
