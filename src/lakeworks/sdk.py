"""The Python SDK: a Workspace is a thin door over the services for one workspace."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from lakeworks.context import Context

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.ingest.loads import LoadResult
    from lakeworks.lake.sql import Query
    from lakeworks.lake.tables import TableInfo, VersionInfo, WriteResult
    from lakeworks.meta.catalog import LoadRecord, TableEntry
    from lakeworks.platform import Platform

Format = Literal["arrow", "pandas", "polars"]


class Workspace:
    """One workspace of a lakeworks platform, acting as one user.

    Example:
        >>> import lakeworks as lw
        >>> ws = lw.connect(home="/tmp/lw-doctest")
        >>> ws.write("numbers", [{"n": 1}, {"n": 2}]).rows
        2
        >>> ws.sql("select sum(n) as total from numbers").arrow().to_pylist()
        [{'total': 3}]
    """

    def __init__(self, platform: Platform, ctx: Context) -> None:
        self.platform = platform
        self.ctx = ctx

    @property
    def name(self) -> str:
        return self.ctx.workspace

    # tables -------------------------------------------------------------------------
    def tables(self) -> list[TableEntry]:
        return self.platform.tables.list(self.ctx)

    def describe(self, table: str) -> TableInfo:
        return self.platform.tables.describe(self.ctx, table)

    def create_table(
        self,
        table: str,
        data: Any = None,
        *,
        schema: pa.Schema | None = None,
        description: str | None = None,
    ) -> WriteResult:
        return self.platform.tables.create(
            self.ctx, table, data, schema=schema, description=description
        )

    def write(
        self, table: str, data: Any, *, mode: str = "append", schema_mode: str | None = None
    ) -> WriteResult:
        """Append (default) or overwrite; creates the table on first write."""
        return self.platform.tables.write(self.ctx, table, data, mode=mode, schema_mode=schema_mode)

    def upsert(self, table: str, data: Any, keys: list[str] | str) -> WriteResult:
        keys = [keys] if isinstance(keys, str) else keys
        return self.platform.tables.upsert(self.ctx, table, data, keys)

    def delete(self, table: str, where: str) -> WriteResult:
        return self.platform.tables.delete(self.ctx, table, where)

    def read(
        self,
        table: str,
        *,
        columns: list[str] | None = None,
        where: str | None = None,
        version: int | None = None,
        as_of: datetime | str | None = None,
        limit: int | None = None,
        format: Format = "arrow",
    ) -> Any:
        """Read a table, optionally some columns/rows of it, at a version or time."""
        data = self.platform.tables.read(
            self.ctx, table, columns=columns, where=where, version=version, as_of=as_of, limit=limit
        )
        return _as(data, format)

    def history(self, table: str, limit: int | None = None) -> list[VersionInfo]:
        return self.platform.tables.history(self.ctx, table, limit)

    def compact(self, table: str) -> dict[str, Any]:
        return self.platform.tables.compact(self.ctx, table)

    def vacuum(self, table: str, retention_hours: int = 168, dry_run: bool = False) -> list[str]:
        return self.platform.tables.vacuum(self.ctx, table, retention_hours, dry_run)

    def drop_table(self, table: str) -> None:
        self.platform.tables.drop(self.ctx, table)

    # sql ----------------------------------------------------------------------------
    def sql(self, query: str) -> Query | WriteResult:
        """Run SQL over this workspace's tables (``orders@v3`` reads version 3).

        A SELECT returns a Query (``.arrow()``, ``.to_pandas()``, ``.to_polars()``,
        ``.batches()``, ``.save(name)``); CREATE TABLE AS / INSERT INTO return a WriteResult.
        """
        return self.platform.sql.execute(self.ctx, query)

    # ingestion ----------------------------------------------------------------------
    def ingest(self, source: Any, table: str, **options: Any) -> LoadResult:
        """Load files, a SQL database or an HTTP API into ``table``; see ``lakeworks.ingest``."""
        return self.platform.ingest.load(self.ctx, source, table, **options)

    def loads(self, table: str | None = None) -> list[LoadRecord]:
        return self.platform.catalog.loads(self.ctx.workspace, table)

    def __repr__(self) -> str:
        return f"<Workspace {self.name!r} as {self.ctx.user!r}>"


def _as(data: pa.Table, format: Format) -> Any:
    if format == "pandas":
        return data.to_pandas()
    if format == "polars":
        import polars

        return polars.from_arrow(data)
    return data
