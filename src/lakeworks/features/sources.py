"""Feature view sources as DuckDB views, each row carrying the time lakeworks learned it.

The known-at time of a row (column ``_lw_known_at``) is:

1. its ``_lw_ingested_at`` value when the source has that column (rows written by
   ``features.push``: the time the online store got them), else
2. the commit time of the Delta version that added the row's file, read from the Delta
   log (``known``). Files written by OPTIMIZE (compaction) hold rows that were all known
   by the previous data-changing commit, so they get that commit's time: compaction never
   makes history "unknown". Rows rewritten by a MERGE/DELETE/overwrite get the time of
   that commit (later than the truth: safe, never a leak).

On local disk DuckDB reads the files by path; elsewhere (S3) it scans an Arrow dataset
whose fragments carry their file's time, so no DuckDB extension is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError, QueryError
from lakeworks.features.known import added_at
from lakeworks.lake import duck, scans, statements
from lakeworks.lake.names import tables_read
from lakeworks.lake.versions import arrow_schema

if TYPE_CHECKING:
    from lakeworks.features.definitions import Entity, FeatureView
    from lakeworks.features.lake import Lake
    from lakeworks.lake.storage.base import Storage

KNOWN_AT = "_lw_known_at"
INGESTED_AT = "_lw_ingested_at"
_FILE = "_lw_file"


@dataclass(frozen=True)
class TableRead:
    """A table version a training set or materialization read (for lineage)."""

    table: str
    version: int


def connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection configured like the SQL engine's, in UTC."""
    con = duck.connect(lake.settings)
    con.execute("SET TimeZone = 'UTC'")
    return con


def lock_down(con: duckdb.DuckDBPyConnection, folders: list[str], lake: Lake) -> None:
    """SQL on ``con`` can read only ``folders`` and the scratch folder (as ``ws.sql``).

    A connection :class:`SourceViews` already locked (to its workspace) stays as it is.
    """
    if not duck.locked(con):
        duck.lock_down(con, [*folders, str(lake.settings.scratch_dir) + "/"])


class SourceViews:
    """Registers the sources of feature views in one connection, each table once.

    The connection is locked down to the workspace (its table folder and its own spill
    folder) before any source is registered, so a source query never runs unrestricted.
    """

    def __init__(self, lake: Lake, ctx: Context, con: duckdb.DuckDBPyConnection) -> None:
        self.lake = lake
        self.ctx = ctx
        self.con = con
        _confine(con, lake, ctx.workspace)
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
            if not self.lake.tables.exists(self.ctx, table):
                raise NotFoundError(
                    f"table {table!r}"
                    + (f", the source of feature view {view!r}," if view else "")
                    + f" does not exist in workspace {self.ctx.workspace!r}",
                    hint="write the table (or push rows to the view) first",
                    table=table,
                )
            dt = self.lake.tables.open(self.ctx, table)
            relation = scans.quote(table)
            schema = _register(self.con, relation, dt, self.lake, table)
            self.folders.append(dt.table_uri.removeprefix("file://").rstrip("/") + "/")
            self.reads[table] = TableRead(table, dt.version())
            self.identities[table] = (dt.table_uri, dt.metadata().id, dt.version())
            self._tables[table] = (relation, schema)
        return self._tables[table]

    def _query(self, view: FeatureView, name: str) -> pa.Schema:
        # tables become views under their own names, as in ws.sql; each keeps _lw_known_at
        try:
            tree = statements.check_query(self.con, view.source)
            names = {t.name for t in self.lake.catalog.tables(self.ctx.workspace)}
            for table in tables_read(tree, names):
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


def _confine(con: duckdb.DuckDBPyConnection, lake: Lake, workspace: str) -> None:
    if duck.locked(con):
        return
    spill = duck.spill_folder(lake.settings, workspace)
    duck.set_spill(con, spill)
    duck.lock_down(con, [*duck.table_folders(lake.storage, workspace), str(spill) + "/"])


def check_source(lake: Lake, ctx: Context, view: FeatureView, entity: Entity) -> None:
    """Refuse a view whose source lacks its timestamp, join keys or features.

    A table source that does not exist yet is accepted (``push`` creates it).
    """
    if not view.source_is_query and not lake.tables.exists(ctx, view.source):
        return
    con = connect(lake)
    try:
        schema = SourceViews(lake, ctx, con).add(view, "__lw_check")
    finally:
        con.close()
    check_schema(view, entity, schema)


def check_schema(view: FeatureView, entity: Entity, schema: pa.Schema) -> None:
    where = f"the source {view.source!r} of feature view {view.name!r}"
    if len(where) > 120:
        where = f"the source query of feature view {view.name!r}"
    _check_time_column(view, schema, where, view.timestamp, "timestamp column", "column")
    if view.known_at is not None:
        _check_time_column(
            view,
            schema,
            where,
            view.known_at,
            "known_at column",
            "known_at column",
            "; or declare available_after='1h' (a delay after the event time) instead",
        )
    missing = [c for c in (*entity.join_keys, *view.features) if c not in schema.names]
    if missing:
        raise InvalidInputError(
            f"{where} has no column(s) {missing}",
            hint=f"its columns are {[n for n in schema.names if n != KNOWN_AT]}",
            view=view.name,
        )


def _check_time_column(
    view: FeatureView,
    schema: pa.Schema,
    where: str,
    column: str,
    missing_as: str,
    typed_as: str,
    alternative: str = "",
) -> None:
    """Refuse a source without ``column``, or with it not a timestamp or date."""
    if column not in schema.names:
        raise InvalidInputError(
            f"{where} has no {missing_as} {column!r}",
            hint=f"its columns are {[n for n in schema.names if n != KNOWN_AT]}{alternative}",
            view=view.name,
            column=column,
        )
    found = schema.field(column).type
    if not (pa.types.is_timestamp(found) or pa.types.is_date(found)):
        raise InvalidInputError(
            f"{where}: {typed_as} {column!r} is {found}, not a timestamp",
            hint="cast it in a source query, e.g. CAST(col AS TIMESTAMP)",
            view=view.name,
            column=column,
        )


def _register(
    con: duckdb.DuckDBPyConnection, relation: str, dt: DeltaTable, lake: Lake, table: str
) -> pa.Schema:
    schema = arrow_schema(dt)
    files = scans.native_files(dt, lake.storage)
    columns = ", ".join(f"p.{scans.quote(n)}" for n in schema.names)
    ingested = f"p.{INGESTED_AT}, " if INGESTED_AT in schema.names else ""
    helper = f"__lw_files_{abs(hash((dt.table_uri, dt.version())))}"
    if files is None:  # S3, partitions, deletion vectors: the Arrow dataset path
        con.register(helper, known_dataset(dt, lake.storage, schema))
        con.execute(
            f"CREATE TEMP VIEW {relation} AS SELECT {columns}, "
            f"coalesce({ingested}p.{KNOWN_AT}) AS {KNOWN_AT} FROM {helper} p"
        )
        return schema.append(pa.field(KNOWN_AT, pa.timestamp("us", "UTC")))
    known = pa.table(
        {_FILE: pa.array(files, pa.string()), KNOWN_AT: file_known_times(dt, files, lake)}
    )
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


def file_known_times(dt: DeltaTable, files: list[str], lake: Lake) -> pa.Array:
    """For each file (as ``dt.file_uris()`` names it), when its rows became known."""
    known, fallback = added_at(dt, lake.storage)
    root = dt.table_uri.removeprefix("file://").rstrip("/") + "/"
    return pa.array(
        [known.get(uri.removeprefix(root), fallback) for uri in files], pa.timestamp("us", "UTC")
    )


def known_dataset(dt: DeltaTable, storage: Storage, schema: pa.Schema) -> ds.Dataset:
    """The table version as an Arrow dataset whose rows carry ``_lw_known_at``: each file's
    fragment gets the time as a constant, like a partition value, so DuckDB still scans
    lazily, with projection pushdown, and without ``httpfs``."""
    source = dt.to_pyarrow_dataset()
    known, fallback = added_at(dt, storage)
    field = ds.field(KNOWN_AT)
    fragments = [
        source.format.make_fragment(
            f.path,
            source.filesystem,
            partition_expression=f.partition_expression
            & (field == pa.scalar(known.get(f.path, fallback), pa.timestamp("us", "UTC"))),
        )
        for f in source.get_fragments()
    ]
    return ds.FileSystemDataset(
        fragments,
        source.schema.append(pa.field(KNOWN_AT, pa.timestamp("us", "UTC"))),
        source.format,
        source.filesystem,
    )
