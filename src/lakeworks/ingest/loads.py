"""The loader: one call takes a source into a table and records the load in the catalog.

See the package docstring (``lakeworks.ingest``) for the default modes and idempotency.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeworks import hooks
from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError, LakeworksError
from lakeworks.ingest import progress, quarantine, watermarks
from lakeworks.ingest.base import Plan, Reject, Source, Watermark
from lakeworks.ingest.typemap import declared_types, duckdb_type, narrowed, read_type
from lakeworks.lake.commits import LOAD_ID
from lakeworks.lake.tables import GATED
from lakeworks.secret_refs import Revealed, SecretResolver, reveal

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.tables import Tables
    from lakeworks.meta.catalog import Catalog

MODES = ("append", "overwrite", "merge")
_READ_DECIMAL = re.compile(r"DECIMAL(\(\d+,\s*\d+\))?")  # how integer columns are read
RECOVERY_HISTORY = 100  # commits searched for an unrecorded load of the same data


@dataclass(frozen=True)
class LoadResult:
    """What one load did. ``rows_read == rows_written + rows_quarantined``."""

    load_id: int
    table: str
    status: str  # "succeeded" | "skipped" | "failed"
    rows_read: int
    rows_written: int
    rows_quarantined: int
    version: int | None
    quarantine_table: str | None
    watermark: str | None
    message: str


# As pandas.read_csv: the spellings of "missing" that CSV exports use. Pass
# null_values=[""] to keep "NA" as text.
DEFAULT_NULL_VALUES = ("", "NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "#N/A")


@dataclass(frozen=True)
class _Options:
    mode: str
    keys: list[str] | None
    incremental_by: str | None
    declared: dict[str, pa.DataType]
    chunk_size: int
    progress: bool
    null_values: tuple[str, ...]
    encoding: str = "utf-8"
    max_line_size: int = 2_000_000


# Rows a batch from a source: the Delta writer keeps a few batches in flight, so peak
# memory grows with this (2M x 20 CSV: ~600 MiB at 20,000 rows, ~700 MiB at 50,000) while
# the load's time did not measurably change.
CHUNK_SIZE = 20_000


class Loader:
    """The ingestion service; obtain it as ``platform.ingest``."""

    def __init__(
        self,
        catalog: Catalog,
        tables: Tables,
        settings: Settings,
        secrets: SecretResolver | None = None,
    ) -> None:
        self.catalog = catalog
        self.tables = tables
        self.settings = settings
        self.secrets = secrets  # resolves secret://name in sources and http options

    def load(
        self,
        ctx: Context,
        source: Any,
        table: str,
        *,
        keys: list[str] | str | None = None,
        incremental_by: str | None = None,
        format: str | None = None,
        mode: str | None = None,
        schema: dict[str, str] | pa.Schema | None = None,
        query: str | None = None,
        chunk_size: int = CHUNK_SIZE,
        progress: bool | None = None,
        http: dict[str, Any] | None = None,
        null_values: list[str] | None = None,
        encoding: str = "utf-8",
        max_line_size: int = 2_000_000,
    ) -> LoadResult:
        """Load files, a SQL database or an HTTP API into ``table``.

        Raises the LakeworksError that stopped a load after recording it as failed; the
        table is then as it was.

        CSV: ``encoding`` names the files' text encoding (records with bytes invalid in it
        are quarantined with their raw bytes); a record longer than ``max_line_size`` bytes
        is quarantined and the rest load. ``schema={"amount": "DOUBLE"}`` states types;
        other columns take the type nearly all of their values parse as (see
        ``lakeworks.ingest.csvtypes``), and the load's details say what was inferred.

        Example:
            >>> result = ws.ingest("orders.csv", "orders", keys=["id"])  # doctest: +SKIP
            >>> result.rows_written, result.rows_quarantined  # doctest: +SKIP
            (98, 2)
        """
        check_name("table", table)
        keys = [keys] if isinstance(keys, str) else keys
        (source, http), revealed = reveal(self.secrets, ctx, (source, http))
        try:
            with revealed:
                src = open_source(
                    source, format=format, query=query, http=http, settings=self.settings
                )
        except LakeworksError as exc:
            raise revealed.redact_error(exc) from None
        src.description = revealed.redact(src.description)  # recorded, shown: never a value
        if chunk_size < 1:
            raise InvalidInputError("chunk_size must be at least 1", chunk_size=chunk_size)
        _check_text_options(encoding, max_line_size)
        options = _Options(
            decide_mode(mode, keys, src.kind, incremental_by),
            keys,
            incremental_by,
            declared_types(schema),
            chunk_size,
            progress_wanted(progress, self.settings),
            tuple(DEFAULT_NULL_VALUES if null_values is None else null_values),
            encoding,
            max_line_size,
        )
        load_id = self.catalog.start_load(
            ctx.workspace,
            table,
            src.description,
            src.kind,
            options.mode,
            ctx.user,
            watermark_column=incremental_by,
        )
        with revealed:  # values in a library's log records are redacted too
            return _Load(self, ctx, table, src, options, load_id, revealed).run()


def _check_text_options(encoding: str, max_line_size: int) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidInputError(
            f"unknown encoding {encoding!r}",
            hint="use a Python codec name such as utf-8, latin-1, cp1252 or utf-16",
            encoding=encoding,
        ) from None
    if max_line_size < 1024:
        raise InvalidInputError(
            f"max_line_size must be at least 1024 bytes, not {max_line_size}",
            max_line_size=max_line_size,
        )


def progress_wanted(option: bool | None, settings: Settings) -> bool:
    return progress.wanted(option, settings.progress)


def open_source(
    source: Any,
    *,
    format: str | None,
    query: str | None,
    http: dict[str, Any] | None,
    settings: Settings,
) -> Source:
    """The Source for a path, glob, s3:// URL, SQLAlchemy URL or http(s):// URL."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source:
        raise InvalidInputError(
            f"cannot load from {source!r}",
            hint="pass a path, glob, s3:// URL, database URL or http(s):// URL",
        )
    scheme = source.split("://", 1)[0].lower() if "://" in source else ""
    if http is not None and scheme not in {"http", "https"}:
        raise InvalidInputError("http= options apply only to http(s):// sources")
    if scheme in {"http", "https"}:
        from lakeworks.ingest.http import HttpSource

        return HttpSource(source, http)
    if scheme in {"", "file", "s3"}:
        if query is not None:
            raise InvalidInputError(
                "query= applies only to database sources",
                hint="pass a SQLAlchemy URL such as sqlite:///path.db",
            )
        from lakeworks.ingest.files import FileSource

        return FileSource(source.removeprefix("file://"), format, settings)
    from lakeworks.ingest.sqldb import SqlSource

    return SqlSource(source, query)


def decide_mode(
    mode: str | None, keys: list[str] | None, kind: str, incremental_by: str | None
) -> str:
    """keys -> merge; files or incremental -> append; live sources -> overwrite."""
    if mode is not None and mode not in MODES:
        raise InvalidInputError(f"unknown mode {mode!r}", hint=f"use one of {list(MODES)}")
    if keys and mode not in (None, "merge"):
        raise InvalidInputError(
            f"keys={keys} means mode='merge', not {mode!r}",
            hint="drop keys= to append or overwrite",
        )
    if mode == "merge" and not keys:
        raise InvalidInputError("mode='merge' needs keys=[...]", hint="name the key columns")
    if keys:
        return "merge"
    if mode is not None:
        return mode
    return "append" if kind == "file" or incremental_by else "overwrite"


@dataclass
class _Counts:
    rows: int = 0
    version: int | None = None
    quarantined: int = 0
    quarantine_table: str | None = None
    held: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class _Load:
    """One load in progress: options, the catalog row, and what happened so far."""

    def __init__(
        self,
        loader: Loader,
        ctx: Context,
        table: str,
        source: Source,
        options: _Options,
        load_id: int,
        revealed: Revealed | None = None,
    ) -> None:
        self.catalog, self.tables, self.settings = loader.catalog, loader.tables, loader.settings
        self.ctx, self.table = ctx, table
        self.source, self.options, self.load_id = source, options, load_id
        self.fingerprint: str | None = None
        self.narrow: dict[str, pa.DataType] = {}  # integer columns read losslessly
        self.revealed = revealed or Revealed()  # secrets in the source: kept out of errors

    def run(self) -> LoadResult:
        try:
            self.fingerprint = self.source.fingerprint()
            # kept now: a re-run after this process is killed can find what it committed
            self.catalog.note_load(self.load_id, fingerprint=self.fingerprint)
            if self._already_loaded():
                return self._skipped()
            with hooks.reading(  # lineage: what this load's writes read
                kind="load",
                sources=(self.source.description,),
                source_kind=self.source.kind,
                load_id=self.load_id,
            ):
                return self._load()
        except BaseException as exc:
            error = (
                exc
                if isinstance(exc, LakeworksError | KeyboardInterrupt)
                else LakeworksError(
                    self.revealed.redact(
                        f"loading {self.table!r} from {self.source.description} failed: "
                        f"{type(exc).__name__}: {exc}"
                    ),
                    table=self.table,
                )
            )
            self.revealed.redact_error(error)
            self.catalog.finish_load(
                self.load_id, "failed", error=str(error), fingerprint=self.fingerprint
            )
            if error is exc:
                raise
            # an error that may hold a secret's value is not chained to the redacted one
            raise error from (None if self.revealed.values else exc)
        finally:
            self.source.cleanup()

    def _already_loaded(self) -> bool:
        o = self.options
        if o.mode != "append" or o.keys or o.incremental_by or self.fingerprint is None:
            return False
        if not self.tables.exists(self.ctx, self.table):
            return False
        same = self.catalog.loads(self.ctx.workspace, self.table, fingerprint=self.fingerprint)
        if any(r.status == "succeeded" for r in same):
            return True
        unfinished = {r.id for r in same if r.status in ("running", "failed")} - {self.load_id}
        return bool(unfinished) and self._recovered(unfinished)

    def _recovered(self, load_ids: set[int]) -> bool:
        """Record as succeeded a load of the same data that committed but was not recorded
        (its process was killed, or it failed after the commit), so that it is not loaded
        twice. Its commit carries its load id."""
        dt = self.tables.open(self.ctx, self.table)
        for commit in dt.history(RECOVERY_HISTORY):
            load_id = int(commit.get(LOAD_ID, 0))
            if load_id in load_ids:
                rows = (commit.get("operationMetrics") or {}).get("num_added_rows")
                self.catalog.finish_load(
                    load_id,
                    "succeeded",
                    rows_written=rows,
                    table_version=commit["version"],
                    details={"recovered_by_load": self.load_id},
                )
                return True
        return False

    def _skipped(self) -> LoadResult:
        message = (
            f"skipped: {self.source.description} was already loaded into {self.table!r} unchanged"
        )
        self.catalog.finish_load(
            self.load_id, "skipped", fingerprint=self.fingerprint, details={"message": message}
        )
        version = self.tables.open(self.ctx, self.table).version()
        return LoadResult(
            self.load_id, self.table, "skipped", 0, 0, 0, version, None, None, message
        )

    def _load(self) -> LoadResult:
        previous, type_name = self._previous_watermark()
        quarantine.check_writable(self.tables, self.ctx, self.table)
        extract = self.source.extract(self._plan(previous))
        tracker = watermarks.Tracker(self.options.incremental_by)
        try:
            counts = self._write(tracker.track(self._narrowed(extract.batches, extract.rejects)))
        finally:
            extract.close()
        counts.details.update(extract.details)
        rejects = [self._renamed(r) for r in extract.rejects]
        counts.quarantine_table, known = quarantine.write(
            self.tables, self.ctx, self.table, self.load_id, rejects
        )
        counts.quarantined = len(extract.rejects) - known + counts.held
        if counts.held:
            counts.quarantine_table = quarantine.quarantine_table(self.table)
        if known:
            counts.details["rows_already_quarantined"] = known
        if tracker.maximum is not None:
            previous, type_name = tracker.maximum, str(tracker.type)
        mark = watermarks.encode(previous) if previous is not None else None
        counts.details["watermark_type"] = type_name
        return self._succeeded(counts, mark)

    def _plan(self, previous: Any) -> Plan:
        o = self.options
        existing = None
        if self.tables.exists(self.ctx, self.table):
            from lakeworks.lake.versions import arrow_schema

            existing = arrow_schema(self.tables.open(self.ctx, self.table))
        # integer columns are read losslessly and narrowed in _write (see typemap.narrowed)
        types = {f.name: f.type for f in existing or []} | o.declared
        self.narrow = {
            c: t for c, t in types.items() if read_type(t) != t and c != o.incremental_by
        }
        declared = {c: read_type(t) if c in self.narrow else t for c, t in o.declared.items()}
        if existing is not None:
            existing = pa.schema(
                [f.with_type(read_type(f.type)) if f.name in self.narrow else f for f in existing]
            )
        mark = Watermark(o.incremental_by, previous) if o.incremental_by else None
        scratch = self.settings.scratch_dir
        scratch.mkdir(parents=True, exist_ok=True)
        return Plan(
            self.table,
            declared,
            existing,
            mark,
            o.chunk_size,
            scratch,
            o.null_values,
            o.encoding,
            o.max_line_size,
        )

    def _renamed(self, reject: Reject) -> Reject:
        """A reader's reason names the type the column was read as: name the column's."""
        if reject.columns not in self.narrow or "DECIMAL" not in reject.reason:
            return reject
        name = duckdb_type(self.narrow[reject.columns], reject.columns)
        return replace(reject, reason=_READ_DECIMAL.sub(name, reject.reason))

    def _narrowed(
        self, batches: Iterator[pa.RecordBatch], rejects: list[Reject]
    ) -> Iterator[pa.RecordBatch]:
        """Integer columns back in their types; a value that would lose a fraction or not
        fit is quarantined with the reason, never rounded."""
        for batch in batches:
            good, bad, reasons = narrowed(batch, self.narrow) if self.narrow else (batch, None, [])
            for row, reason in zip(bad.to_pylist() if bad else [], reasons, strict=True):
                raw = json.dumps({k: _plain(v) for k, v in row.items()})
                columns = ",".join(c for c in self.narrow if f"column {c!r}:" in reason)
                rejects.append(Reject(self.source.description, None, raw, reason, columns))
            yield good

    def _previous_watermark(self) -> tuple[Any, str | None]:
        column = self.options.incremental_by
        if column is None:
            return None, None
        for record in reversed(
            self.catalog.loads(
                self.ctx.workspace, self.table, status="succeeded", source=self.source.description
            )
        ):
            if record.watermark is not None and record.watermark_column == column:
                type_name = record.details.get("watermark_type")
                return watermarks.decode(record.watermark, type_name), type_name
        return None, None

    def _write(self, batches: Iterator[pa.RecordBatch]) -> _Counts:
        counts = _Counts()
        description = f"{self.source.description} -> {self.table}"
        with progress.tracked(batches, description, self.options.progress) as stream:
            first, rest = _peek(stream)
            if first is None or (first.num_rows == 0 and self.options.mode != "overwrite"):
                counts.version = self._current_version()
                return counts
            reader = pa.RecordBatchReader.from_batches(
                first.schema, _counted(itertools.chain([first], rest), counts)
            )
            if self.options.mode == "merge":
                result = self.tables.upsert(self.ctx, self.table, reader, self.options.keys)
                counts.details["merge"] = {
                    k: v for k, v in result.metrics.items() if k.startswith("num_target_rows")
                }
            else:
                result = self.tables.write(self.ctx, self.table, reader, mode=self.options.mode)
        counts.version = result.version
        counts.held = result.metrics.get(GATED, 0)  # rows the quality gate quarantined
        counts.rows -= counts.held
        return counts

    def _current_version(self) -> int | None:
        if not self.tables.exists(self.ctx, self.table):
            return None
        return self.tables.open(self.ctx, self.table).version()

    def _succeeded(self, counts: _Counts, watermark: str | None) -> LoadResult:
        read = counts.rows + counts.quarantined
        if counts.quarantine_table:
            counts.details["quarantine_table"] = counts.quarantine_table
        self.catalog.finish_load(
            self.load_id,
            "succeeded",
            rows_read=read,
            rows_written=counts.rows,
            rows_quarantined=counts.quarantined,
            table_version=counts.version,
            watermark=watermark,
            fingerprint=self.fingerprint,
            details=counts.details,
        )
        return LoadResult(
            self.load_id,
            self.table,
            "succeeded",
            read,
            counts.rows,
            counts.quarantined,
            counts.version,
            counts.quarantine_table,
            watermark,
            self._message(counts),
        )

    def _message(self, counts: _Counts) -> str:
        message = f"loaded {counts.rows} rows into {self.table!r}"
        if counts.version is not None:
            message += f" (version {counts.version})"
        if counts.quarantined:
            kind = "malformed rows" if not counts.held else "rows (malformed or failing checks)"
            message += f"; {counts.quarantined} {kind} quarantined in {counts.quarantine_table!r}"
        notes = counts.details.get("csv", {}).get("notes")
        if notes:
            message += "; inferred " + "; ".join(notes)
        return message


def _peek(
    batches: Iterator[pa.RecordBatch],
) -> tuple[pa.RecordBatch | None, Iterator[pa.RecordBatch]]:
    """The first batch with rows (else the last empty one, else None) and the rest."""
    last = None
    for batch in batches:
        if batch.num_rows:
            return batch, batches
        last = batch
    return last, iter(())


def _counted(batches: Iterator[pa.RecordBatch], counts: _Counts) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        counts.rows += batch.num_rows
        yield batch


def _plain(value: Any) -> Any:
    """A value as JSON shows it: a read integer column's decimals without trailing zeros."""
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)
    return value if isinstance(value, int | float | str | bool | None) else str(value)
