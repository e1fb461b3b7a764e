"""Versioned tables: create, append, overwrite, upsert, delete, read, history, maintenance.

Every write is one atomic Delta commit, tagged with the user and a write id so the exact
version it produced can be found even when other writers commit at the same time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import DeltaTable, write_deltalake

from lakeworks.cache import BoundedCache
from lakeworks.context import Context, check_name
from lakeworks.errors import AlreadyExistsError, InvalidInputError, LakeworksError
from lakeworks.hooks import current_inputs
from lakeworks.lake import fence, scans
from lakeworks.lake.allowance import Allowance
from lakeworks.lake.commits import WRITER_PROPERTIES, commit_properties
from lakeworks.lake.first_write import FirstWrites
from lakeworks.lake.gate import OpenGate
from lakeworks.lake.masks import NoMask
from lakeworks.lake.schemas import (
    check_compatible,
    check_unique_names,
    conformed,
    delta_schema,
    to_reader,
)
from lakeworks.lake.versions import add_actions, arrow_schema, open_delta
from lakeworks.lake.write_errors import already_exists, write_error
from lakeworks.limits import STORAGE_BYTES, TABLES, Unlimited
from lakeworks.meta.catalog import TableEntry

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.hooks import Hooks
    from lakeworks.lake.gate import WriteGate
    from lakeworks.lake.masks import ReadMask
    from lakeworks.lake.storage import Storage
    from lakeworks.limits import Limits
    from lakeworks.meta.catalog import Catalog

WriteMode = Literal["append", "overwrite", "error"]
CURRENT_CACHE_SIZE = 4096  # latest snapshots kept by Tables.current
GATED = "rows_quarantined_by_checks"  # in WriteResult.metrics when the quality gate held rows
# Names lakeworks keeps for itself: a table's quarantine, and internal DuckDB views (__lw_...).
RESERVED_SUFFIXES = ("__quarantine",)
RESERVED_PREFIXES = ("__",)


@dataclass(frozen=True)
class WriteResult:
    """What one write did: the table, the version it created, and the rows it touched."""

    table: str
    version: int
    operation: str
    rows: int
    metrics: dict[str, Any]


@dataclass(frozen=True)
class VersionInfo:
    version: int
    timestamp: datetime
    operation: str
    user: str | None
    rows_added: int | None
    rows_removed: int | None
    parameters: dict[str, Any]
    metrics: dict[str, Any]


@dataclass(frozen=True)
class TableInfo:
    workspace: str
    name: str
    location: str
    version: int
    schema: pa.Schema
    num_rows: int
    num_files: int
    size_bytes: int
    description: str | None
    created_at: datetime
    created_by: str


class Tables:
    """The table service. Obtain it as ``platform.tables``; every method takes a Context."""

    def __init__(
        self,
        catalog: Catalog,
        storage: Storage,
        settings: Settings,
        hooks: Hooks,
        gate: WriteGate | None = None,
    ) -> None:
        self.catalog = catalog
        self.storage = storage
        self.settings = settings
        self.hooks = hooks
        self.gate: WriteGate = gate or OpenGate()  # the platform plugs the quality gate in
        self.mask: ReadMask = NoMask()  # the platform plugs PII masking in
        self.limits: Limits = Unlimited()  # and the quotas: tables, storage bytes per write
        # latest snapshot per table entry, shared by readers; see current()
        self._current: BoundedCache[DeltaTable] = BoundedCache(CURRENT_CACHE_SIZE)
        self._fs: pafs.FileSystem | None = None
        self._first = FirstWrites(storage, settings.scratch_dir)

    # catalog ----------------------------------------------------------------------
    def entry(self, ctx: Context, name: str) -> TableEntry:
        return self.catalog.table(ctx.workspace, name)

    def list(self, ctx: Context) -> list[TableEntry]:
        self.catalog.workspace(ctx.workspace)
        return self.catalog.tables(ctx.workspace)

    def exists(self, ctx: Context, name: str) -> bool:
        """Whether ``name`` is in the catalog and its first version is committed.

        A catalog entry without a committed version is a first write that is running or
        was interrupted (killed): the next write completes it, ``drop`` removes it.
        """
        entry = self.catalog.find_table(ctx.workspace, name)
        return entry is not None and self._first.committed(entry)

    def open(
        self,
        ctx: Context,
        name: str,
        version: int | None = None,
        as_of: datetime | str | None = None,
    ) -> DeltaTable:
        """The Delta table behind ``name`` at the requested version."""
        entry = self.entry(ctx, name)
        return open_delta(entry.location, self._options, table=name, version=version, as_of=as_of)

    def current(self, ctx: Context, name: str, entry: TableEntry | None = None) -> DeltaTable:
        """The latest version of ``name``, as a DeltaTable shared with other readers.

        Opening a table reads its log (~2 ms locally, several requests on S3); here a
        snapshot is kept per table and a later call only looks for the next commit file
        (``_delta_log/<version + 1>.json``), which every commit writes atomically. Callers
        read it and must not load other versions on it: use ``open`` for time travel.

        The snapshots are a ``BoundedCache`` keyed by the table's catalog entry (id,
        location, creation time), checked against the Delta version on every call:

        - a commit by anyone (this process or another) makes the next commit file exist:
          the table is opened again at its new version;
        - a dropped and re-created table is a new entry, so a new key: the old snapshot is
          never found again;
        - at most ``CURRENT_CACHE_SIZE`` tables are kept, the least recently read evicted.
        """
        entry = entry or self.entry(ctx, name)
        key = (entry.id, entry.location, entry.created_at)
        dt = self._current.get(key)
        if dt is not None and not self._committed(entry.location, dt.version() + 1):
            return dt
        return self._current.put(key, open_delta(entry.location, self._options, table=name))

    def _committed(self, location: str, version: int) -> bool:
        storage = self.storage
        path = storage.fs_path(f"{location.rstrip('/')}/_delta_log/{version:020d}.json")
        try:
            self._fs = self._fs or storage.filesystem()
            return self._fs.get_file_info(path).type != pafs.FileType.NotFound
        except OSError:
            return True  # cannot tell: read the log again

    def describe(self, ctx: Context, name: str) -> TableInfo:
        entry = self.entry(ctx, name)
        dt = open_delta(entry.location, self._options, table=name)
        actions = add_actions(dt)
        rows = (
            actions.column("num_records").to_pylist()
            if "num_records" in actions.column_names
            else []
        )
        sizes = actions.column("size_bytes").to_pylist() if actions.num_rows else []
        return TableInfo(
            ctx.workspace,
            name,
            entry.location,
            dt.version(),
            arrow_schema(dt),
            sum(r or 0 for r in rows),
            actions.num_rows,
            sum(sizes),
            entry.description,
            entry.created_at,
            entry.created_by,
        )

    # writes -----------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        name: str,
        data: Any = None,
        *,
        schema: pa.Schema | None = None,
        description: str | None = None,
    ) -> WriteResult:
        """Create a table from data, or empty from a schema. Fails if the name is taken."""
        check_user_table(name)
        if data is None and schema is None:
            raise InvalidInputError(f"creating table {name!r} needs data or a schema", table=name)
        reader = to_reader(data if data is not None else schema.empty_table())
        return self._write(ctx, name, reader, mode="error", description=description)

    def write(
        self,
        ctx: Context,
        name: str,
        data: Any,
        *,
        mode: WriteMode = "append",
        schema_mode: Literal["merge", "overwrite"] | None = None,
        description: str | None = None,
        system: bool = False,
        transaction: tuple[str, int] | None = None,
    ) -> WriteResult:
        """Append to or overwrite a table, creating it when it does not exist.

        New columns are added to the schema (nullable). A changed column type is refused
        with SchemaMismatchError unless ``mode='overwrite', schema_mode='overwrite'``.
        ``system=True`` is for lakeworks' own tables (``<table>__quarantine``), whose names
        are refused for user tables. ``transaction=(app_id, version)`` records an
        application's progress in the same commit (a Delta transaction identifier, read
        back with ``DeltaTable.transaction_version(app_id)``): a stream sink's position.
        """
        if system:
            check_name("table", name)
        else:
            check_user_table(name)
        if schema_mode == "overwrite" and mode != "overwrite":
            raise InvalidInputError("schema_mode='overwrite' needs mode='overwrite'", table=name)
        return self._write(
            ctx,
            name,
            to_reader(data),
            mode=mode,
            schema_mode=schema_mode,
            description=description,
            transaction=transaction,
        )

    def upsert(self, ctx: Context, name: str, data: Any, keys: list[str]) -> WriteResult:
        """Merge rows on ``keys``: update matching rows, insert the others.

        When the data holds the same key twice, the last row wins.
        """
        check_user_table(name)
        if not keys:
            raise InvalidInputError(
                f"upsert into {name!r} needs at least one key column", table=name
            )
        reader = to_reader(data)
        missing = [k for k in keys if k not in reader.schema.names]
        if missing:
            raise InvalidInputError(
                f"upsert into {name!r}: key column(s) {missing} are not in the data",
                hint=f"the data has columns {reader.schema.names}",
                table=name,
                keys=keys,
            )
        if not self.exists(ctx, name):
            data = reader.read_all()  # kept: merged instead if another writer creates it first
            try:
                return self._write(ctx, name, data.to_reader(), mode="error")
            except AlreadyExistsError:
                reader = data.to_reader()
        entry = self.entry(ctx, name)
        dt = open_delta(entry.location, self._options, table=name)
        table_schema = arrow_schema(dt)
        missing = [k for k in keys if k not in table_schema.names]
        if missing:
            raise InvalidInputError(
                f"upsert into {name!r}: key column(s) {missing} are not columns of the table",
                table=name,
                keys=keys,
            )
        target = check_compatible(name, table_schema, reader.schema)
        write_id = uuid.uuid4().hex
        allowance = Allowance(self.limits, ctx.workspace)  # the storage quota, per batch
        self._started(ctx, name, "upsert", write_id)  # hooks and quality gate (see _started)
        try:
            reader, held = self.gate.gate(ctx, name, reader, write_id=write_id, keys=keys)
            reader = allowance.stream(reader)
            source = scans.last_per_key(conformed(reader, target), keys)
            predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
            fence.check()  # the last moment before the merge commits
            metrics = (
                dt.merge(
                    source,
                    predicate,
                    source_alias="s",
                    target_alias="t",
                    merge_schema=target != table_schema,
                    commit_properties=commit_properties(ctx, write_id),
                )
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute()
            )
        except Exception as exc:
            self._failed(ctx, name, "upsert", write_id, exc)
            raise write_error(allowance.refused or exc, name) from exc
        rows = metrics.get("num_target_rows_inserted", 0) + metrics.get(
            "num_target_rows_updated", 0
        )
        self._taken(ctx, allowance, False)
        metrics = {**metrics, **({GATED: held} if held else {})}
        result = WriteResult(name, dt.version(), "upsert", rows, metrics)  # the merge's commit
        return self._finished(ctx, result, write_id)

    def delete(self, ctx: Context, name: str, where: str) -> WriteResult:
        """Delete the rows matching the SQL predicate ``where``."""
        entry = self.entry(ctx, name)
        dt = open_delta(entry.location, self._options, table=name)
        fence.check()  # refused before it starts: a delete commits as soon as it ran
        write_id = uuid.uuid4().hex
        self._started(ctx, name, "delete", write_id)
        try:
            metrics = dt.delete(where, commit_properties=commit_properties(ctx, write_id))
        except Exception as exc:
            self._failed(ctx, name, "delete", write_id, exc)
            raise InvalidInputError(
                f"cannot delete from {name!r} where {where!r}: {exc}", table=name
            ) from exc
        result = WriteResult(
            name,
            dt.version(),  # the version the delete committed (unchanged when nothing matched)
            "delete",
            metrics.get("num_deleted_rows", 0),
            metrics,
        )
        return self._finished(ctx, result, write_id)

    def drop(self, ctx: Context, name: str) -> None:
        """Remove a table from the catalog and delete its files.

        Works on a table whose first write never committed (a killed load) too. The entry
        goes first: a drop interrupted before the files are deleted leaves a folder that no
        later table uses (see ``_location``).
        """
        entry = self.entry(ctx, name)
        self.catalog.remove_table(ctx.workspace, name)
        self.limits.taken(ctx.workspace, TABLES, -1)
        self._first.forget(entry)
        self.storage.remove(entry.location)

    # reads ------------------------------------------------------------------------
    def read(
        self,
        ctx: Context,
        name: str,
        *,
        columns: list[str] | None = None,
        where: str | None = None,
        version: int | None = None,
        as_of: datetime | str | None = None,
        limit: int | None = None,
        unmasked: bool = False,
    ) -> pa.Table:
        """Read a table (or some columns and rows of it) as Arrow.

        ``where`` is a SQL predicate pushed down to the Parquet scan (file and row-group
        statistics skip what cannot match). ``version`` / ``as_of`` read an earlier version.
        Personal data is masked for a caller without the right to see it (``self.mask``);
        ``unmasked=True`` is for services that read on their own behalf (quarantine,
        dedup), never for what a door returns.
        """
        dt = self.open(ctx, name, version=version, as_of=as_of)
        self.hooks.emit("table_read", ctx=ctx, table=name, version=dt.version())
        masks = None if unmasked else self.mask.masks(ctx).get(name)
        return scans.read(
            dt,
            self.storage,
            self.settings,
            table=name,
            columns=columns,
            where=where,
            limit=limit,
            masks=masks,
            mask=self.mask,
        )

    def history(self, ctx: Context, name: str, limit: int | None = None) -> list[VersionInfo]:
        """Every version, newest first: when, what operation, by whom, rows added/removed."""
        dt = self.open(ctx, name)
        return [_version_info(h) for h in dt.history(limit)]

    # maintenance ------------------------------------------------------------------
    def compact(self, ctx: Context, name: str, target_size: int | None = None) -> dict[str, Any]:
        """Rewrite small files into larger ones (a new version with the same rows)."""
        dt = self.open(ctx, name)
        return dt.optimize.compact(
            target_size=target_size, commit_properties=commit_properties(ctx, uuid.uuid4().hex)
        )

    def vacuum(
        self, ctx: Context, name: str, retention_hours: int = 168, dry_run: bool = False
    ) -> list[str]:
        """Delete files no version newer than ``retention_hours`` needs; returns their paths.

        Also deletes files no version references at all (left by a write that was killed
        or lost a conflict) once they are older than the retention. Versions older than the
        retention can no longer be read afterwards.
        """
        if retention_hours < 0:
            raise InvalidInputError("retention_hours must be >= 0", table=name)
        dt = self.open(ctx, name)
        return dt.vacuum(
            retention_hours=retention_hours,
            dry_run=dry_run,
            enforce_retention_duration=False,
            commit_properties=commit_properties(ctx, uuid.uuid4().hex),
            full=True,
        )

    # internals --------------------------------------------------------------------
    @property
    def _options(self) -> dict[str, str]:
        return self.storage.options()

    def _write(
        self,
        ctx: Context,
        name: str,
        reader: pa.RecordBatchReader,
        *,
        mode: str,
        schema_mode: str | None = None,
        description: str | None = None,
        transaction: tuple[str, int] | None = None,
    ) -> WriteResult:
        check_unique_names(name, reader.schema)
        entry, added = self._entry_for_write(ctx, name, mode, description)
        write_id = uuid.uuid4().hex
        counter = _RowCounter()
        first = not self._first.committed(entry)  # no version yet: this write makes version 0
        operation, held = "create" if first else mode, 0
        allowance = Allowance(self.limits, ctx.workspace)  # the storage quota, per batch
        self._started(ctx, name, operation, write_id)
        try:  # quality gate: may quarantine rows or refuse the write (a new table's too)
            reader, held = self.gate.gate(ctx, name, reader, write_id=write_id, mode=mode)
            reader = allowance.stream(reader)
            if first:
                version, operation, rows = self._first.write(
                    ctx, entry, reader, mode, write_id, transaction
                )
            else:
                dt = open_delta(entry.location, self._options, table=name)
                target = self._target_schema(dt, name, reader.schema, schema_mode)
                stream = pa.RecordBatchReader.from_batches(
                    target, counter.count(fence.guarded(conformed(reader, target)))
                )
                write_deltalake(
                    dt,
                    stream,
                    mode=mode,
                    schema_mode=schema_mode or "merge",
                    commit_properties=commit_properties(ctx, write_id, transaction=transaction),
                    writer_properties=WRITER_PROPERTIES,
                )
                version, rows = dt.version(), counter.rows  # the version this commit made
        except BaseException as exc:
            self._failed(ctx, name, operation, write_id, exc)
            if added and not self._first.committed(entry):  # leave no half-made table behind
                self.catalog.remove_table(ctx.workspace, name)
                self.storage.remove(entry.location)
            if allowance.refused not in (None, exc):  # the Delta writer wrapped it
                raise allowance.refused from exc
            if isinstance(exc, LakeworksError | KeyboardInterrupt):
                raise
            raise write_error(exc, name) from exc
        self._taken(ctx, allowance, added)
        metrics = {GATED: held} if held else {}
        return self._finished(ctx, WriteResult(name, version, operation, rows, metrics), write_id)

    def _taken(self, ctx: Context, allowance: Allowance, added: bool) -> None:
        """Tell the quotas what a committed write took: a table, the bytes it streamed."""
        if added:
            self.limits.taken(ctx.workspace, TABLES, 1)
        if allowance.streamed:
            self.limits.taken(ctx.workspace, STORAGE_BYTES, allowance.streamed)

    # hooks (lakeworks.hooks): observers of every write; lineage and profiles use them ----
    def _started(self, ctx: Context, name: str, operation: str, write_id: str) -> None:
        self.hooks.emit(
            "write_started",
            ctx=ctx,
            table=name,
            operation=operation,
            write_id=write_id,
            inputs=current_inputs(),
        )

    def _failed(
        self, ctx: Context, name: str, operation: str, write_id: str, error: BaseException
    ) -> None:
        self.hooks.emit(
            "write_failed",
            ctx=ctx,
            table=name,
            operation=operation,
            write_id=write_id,
            inputs=current_inputs(),
            error=error,
        )

    def _finished(self, ctx: Context, result: WriteResult, write_id: str) -> WriteResult:
        self.hooks.emit(
            "write_finished",
            ctx=ctx,
            table=result.table,
            operation=result.operation,
            write_id=write_id,
            inputs=current_inputs(),
            version=result.version,
            rows=result.rows,
        )
        return result

    def _entry_for_write(
        self, ctx: Context, name: str, mode: str, description: str | None
    ) -> tuple[TableEntry, bool]:
        """The table's catalog entry, added when missing; and whether this call added it."""
        entry = self.catalog.find_table(ctx.workspace, name)
        if entry is not None:
            if mode == "error" and self._first.committed(entry):
                raise already_exists(ctx, name)
            return entry, False
        self.limits.check(ctx.workspace, TABLES, adding=1)  # a new table: the tables quota
        location = self._location(ctx, name)
        try:
            return self.catalog.add_table(
                ctx.workspace, name, location, ctx.user, description
            ), True
        except LakeworksError:
            existing = self.catalog.find_table(ctx.workspace, name)
            if existing is None:
                raise
            return existing, False  # a concurrent writer added it first

    def _location(self, ctx: Context, name: str) -> str:
        """The folder for a new table: a fresh one when files of a dropped table remain.

        Nothing is deleted here: another writer may already be writing into the folder.
        """
        location = self.storage.table_uri(ctx.workspace, name)
        storage = self.storage
        self._fs = self._fs or storage.filesystem()
        if self._fs.get_file_info(storage.fs_path(location)).type == pafs.FileType.NotFound:
            return location
        return f"{location}-{uuid.uuid4().hex[:8]}"

    def _target_schema(
        self, dt: DeltaTable, name: str, incoming: pa.Schema, schema_mode: str | None
    ) -> pa.Schema:
        if schema_mode == "overwrite":
            return delta_schema(incoming)
        return check_compatible(name, arrow_schema(dt), incoming)


class _RowCounter:
    def __init__(self) -> None:
        self.rows = 0

    def count(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            self.rows += batch.num_rows
            yield batch


def _version_info(h: dict[str, Any]) -> VersionInfo:
    metrics = h.get("operationMetrics") or {}
    added = metrics.get("num_added_rows", metrics.get("num_target_rows_inserted"))
    removed = metrics.get("num_deleted_rows", metrics.get("num_target_rows_deleted"))
    return VersionInfo(
        version=h["version"],
        timestamp=datetime.fromtimestamp(h["timestamp"] / 1000, UTC),
        operation=h.get("operation", "?"),
        user=h.get("lakeworks.user"),
        rows_added=added,
        rows_removed=removed,
        parameters=h.get("operationParameters") or {},
        metrics=metrics,
    )


def check_user_table(name: str) -> str:
    """Validate the name of a table a user writes: not one of the names lakeworks keeps."""
    check_name("table", name)
    reserved = [s for s in RESERVED_SUFFIXES if name.endswith(s)]
    reserved += [p for p in RESERVED_PREFIXES if name.startswith(p)]
    if reserved:
        raise InvalidInputError(
            f"table name {name!r} is reserved: lakeworks uses names ending in "
            f"{' or '.join(RESERVED_SUFFIXES)} (a table's quarantine) and starting with "
            f"{' or '.join(RESERVED_PREFIXES)} for its own tables",
            hint="choose another name; quarantined rows are written by loads and checks",
            table=name,
        )
    return name


__all__ = ["TableInfo", "Tables", "VersionInfo", "WriteResult", "check_user_table"]
