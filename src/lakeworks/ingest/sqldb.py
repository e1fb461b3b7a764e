"""SQL database sources through SQLAlchemy: a table or a SELECT, read in chunks.

Rows stream through a server-side cursor (``stream_results`` + ``yield_per``), so a large
table never sits in memory. The watermark filter of an incremental load is pushed into
the query as a bound parameter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from lakeworks.errors import (
    InvalidInputError,
    MissingDependencyError,
    NotFoundError,
    UnavailableError,
)
from lakeworks.ingest.base import Extract, Plan, Reject, Source
from lakeworks.ingest.records import Record, RecordConverter, raw_text

_CONNECT_ARGS = {"postgresql": {"connect_timeout": 10}}


def masked(url: str) -> str:
    """The URL with its password replaced by ***, safe to log and store."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


class SqlSource(Source):
    """Rows of a table (``URL#table`` or ``query`` naming a table) or of a SELECT."""

    kind = "sql"

    def __init__(self, source: str, query: str | None) -> None:
        url, _, table = source.rpartition("#") if "#" in source else (source, "", "")
        if not (table or query):
            raise InvalidInputError(
                f"loading from {masked(url)} needs a table or a query",
                hint="pass query='SELECT ...' or use URL#table",
            )
        self.url = url
        self.query = (
            query if query and query.strip().lower().startswith(("select", "with")) else None
        )
        self.table = table or (query if self.query is None else None)
        self.description = (
            f"{masked(url)}#{self.table}"
            if self.table
            else f"{masked(url)}#query:{hashlib.sha1(query.encode()).hexdigest()[:16]}"
        )

    def extract(self, plan: Plan) -> Extract:
        engine = _engine(self.url)
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            raise UnavailableError(
                f"cannot connect to {masked(self.url)}: {str(exc.orig).strip()}",
                hint="check the host, port and credentials, and that the database is running",
                url=masked(self.url),
            ) from exc
        extract = Extract(iter(()), details={"sql": self._sql(engine, plan)})
        extract.batches = self._batches(engine, conn, plan, extract.rejects)
        return extract

    def _sql(self, engine: Engine, plan: Plan) -> str:
        quote = engine.dialect.identifier_preparer.quote
        base = self.query or "SELECT * FROM " + ".".join(quote(p) for p in self.table.split("."))
        if plan.watermark is None or plan.watermark.value is None:
            return base
        return f"SELECT * FROM ({base}) AS lw_src WHERE {quote(plan.watermark.column)} > :wm"

    def _batches(
        self, engine: Engine, conn: Connection, plan: Plan, rejects: list[Reject]
    ) -> Iterator[pa.RecordBatch]:
        converter = RecordConverter(self.description, plan.hints)
        params = (
            {"wm": plan.watermark.value}
            if plan.watermark and plan.watermark.value is not None
            else {}
        )
        try:
            result = conn.execution_options(stream_results=True, yield_per=plan.chunk_size).execute(
                sa.text(self._sql(engine, plan)), params
            )
            _check_watermark(plan, list(result.keys()), self.description)
            offset = 0
            for rows in result.partitions():
                records = [
                    Record(offset + i + 1, raw_text(r._asdict()), r._asdict())
                    for i, r in enumerate(rows)
                ]
                offset += len(rows)
                batch, bad = converter.convert(records)
                rejects.extend(bad)
                if batch is not None:
                    yield batch
        except SQLAlchemyError as exc:
            raise _query_error(exc, self.description) from exc
        finally:
            conn.close()
            engine.dispose()


def _engine(url: str) -> Engine:
    try:
        dialect = make_url(url).get_backend_name()
        return sa.create_engine(
            url, connect_args=_CONNECT_ARGS.get(dialect, {}), poolclass=sa.pool.NullPool
        )
    except NoSuchModuleError as exc:
        raise InvalidInputError(f"unknown database kind in {masked(url)}: {exc}") from exc
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(exc.name or str(exc)) from exc
    except ArgumentError as exc:
        raise InvalidInputError(f"invalid database URL {masked(url)}: {exc}") from exc


def _check_watermark(plan: Plan, columns: list[str], source: str) -> None:
    from lakeworks.ingest.watermarks import check_column

    if plan.watermark is not None:
        check_column(plan.watermark.column, columns, source)


def _query_error(exc: SQLAlchemyError, source: str) -> Exception:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if "does not exist" in text or "no such table" in text:
        return NotFoundError(
            f"{source}: {text}", hint="check the table name or the query", source=source
        )
    if isinstance(exc, sa.exc.OperationalError):
        return UnavailableError(f"{source}: {text}", source=source)
    return InvalidInputError(f"the query on {source} failed: {text}", source=source)
