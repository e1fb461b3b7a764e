"""Request and response bodies of the REST API (pydantic, at the door only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, Field

from lakeworks.lake.tables import TableInfo, VersionInfo, WriteResult
from lakeworks.meta.catalog import LoadRecord, TableEntry, WorkspaceInfo
from lakeworks.server.encoding import row_lists


# workspaces -----------------------------------------------------------------------------
class WorkspaceCreate(BaseModel):
    name: str = Field(examples=["analytics"])
    description: str | None = None


class WorkspaceOut(BaseModel):
    name: str
    description: str | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, info: WorkspaceInfo) -> WorkspaceOut:
        return cls(
            name=info.name,
            description=info.description,
            created_at=info.created_at,
            created_by=info.created_by,
        )


# tables ---------------------------------------------------------------------------------
class TableSummary(BaseModel):
    name: str
    kind: str
    description: str | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, entry: TableEntry) -> TableSummary:
        return cls(
            name=entry.name,
            kind=entry.kind,
            description=entry.description,
            created_at=entry.created_at,
            created_by=entry.created_by,
        )


class ColumnOut(BaseModel):
    name: str
    type: str = Field(description="the Arrow type, e.g. int64, string, timestamp[us, tz=UTC]")
    nullable: bool


def columns_of(schema: pa.Schema) -> list[ColumnOut]:
    return [ColumnOut(name=f.name, type=str(f.type), nullable=f.nullable) for f in schema]


class TableDetail(BaseModel):
    workspace: str
    name: str
    location: str
    version: int
    columns: list[ColumnOut]
    rows: int
    files: int
    size_bytes: int
    description: str | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, info: TableInfo) -> TableDetail:
        return cls(
            workspace=info.workspace,
            name=info.name,
            location=info.location,
            version=info.version,
            columns=columns_of(info.schema),
            rows=info.num_rows,
            files=info.num_files,
            size_bytes=info.size_bytes,
            description=info.description,
            created_at=info.created_at,
            created_by=info.created_by,
        )


class VersionOut(BaseModel):
    version: int
    timestamp: datetime
    operation: str
    user: str | None
    rows_added: int | None
    rows_removed: int | None
    parameters: dict[str, Any]

    @classmethod
    def of(cls, info: VersionInfo) -> VersionOut:
        return cls(
            version=info.version,
            timestamp=info.timestamp,
            operation=info.operation,
            user=info.user,
            rows_added=info.rows_added,
            rows_removed=info.rows_removed,
            parameters={k: str(v) for k, v in info.parameters.items()},
        )


class RowsWrite(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, examples=[[{"order_id": 1, "amount": 9.5}]])
    mode: Literal["append", "overwrite", "create"] = "append"


class WriteOut(BaseModel):
    table: str
    version: int
    operation: str
    rows: int

    @classmethod
    def of(cls, result: WriteResult) -> WriteOut:
        return cls(
            table=result.table, version=result.version, operation=result.operation, rows=result.rows
        )


class LoadOut(BaseModel):
    id: int
    table: str
    source: str
    source_kind: str
    mode: str
    status: str
    rows_read: int
    rows_written: int
    rows_quarantined: int
    table_version: int | None
    watermark_column: str | None
    watermark: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    started_by: str

    @classmethod
    def of(cls, record: LoadRecord) -> LoadOut:
        fields = {name: getattr(record, name) for name in cls.model_fields}
        return cls(**fields)


# query results --------------------------------------------------------------------------
class RowsOut(BaseModel):
    """Rows of a preview or query: column names, then rows as lists in column order."""

    columns: list[str]
    types: list[str] = Field(description="the Arrow type of each column")
    rows: list[list[Any]]
    row_count: int
    truncated: bool = Field(description="true when more rows exist than were returned")

    @classmethod
    def read(cls, data: pa.RecordBatchReader | pa.Table, limit: int) -> RowsOut:
        """Take at most ``limit`` rows; reads one row more to know whether more exist."""
        reader = data.to_reader() if isinstance(data, pa.Table) else data
        rows: list[list[Any]] = []
        try:
            for row in row_lists(reader):
                if len(rows) == limit:
                    truncated = True
                    break
                rows.append(row)
            else:
                truncated = False
        finally:
            reader.close()
        schema = reader.schema
        return cls(
            columns=schema.names,
            types=[str(t) for t in schema.types],
            rows=rows,
            row_count=len(rows),
            truncated=truncated,
        )


class SqlRequest(BaseModel):
    query: str = Field(examples=["select status, count(*) as n from orders group by 1"])
    limit: int = Field(default=1000, ge=0, le=100_000)
    timeout: float | None = Field(
        default=None,
        ge=0,
        description="seconds the statement may run; at most the server's statement_timeout "
        "(the default)",
    )
