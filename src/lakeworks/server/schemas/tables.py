"""Bodies of the tables router."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import BaseModel, BeforeValidator, Field

from lakeworks.server.schemas.base import RecordOut, Row


class TableSummary(RecordOut):
    name: str
    kind: str
    description: str | None
    created_at: datetime
    created_by: str


class ColumnOut(BaseModel):
    name: str
    type: str = Field(description="the Arrow type, e.g. int64, string, timestamp[us, tz=UTC]")
    nullable: bool


def _columns(schema: Any) -> Any:
    if isinstance(schema, pa.Schema):
        return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema]
    return schema


class TableDetail(RecordOut):
    workspace: str
    name: str
    location: str
    version: int
    columns: Annotated[list[ColumnOut], BeforeValidator(_columns)] = Field(
        validation_alias="schema"
    )
    rows: int = Field(validation_alias="num_rows")
    files: int = Field(validation_alias="num_files")
    size_bytes: int
    description: str | None
    created_at: datetime
    created_by: str


def _strings(parameters: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in parameters.items()}


class VersionOut(RecordOut):
    version: int
    timestamp: datetime
    operation: str
    user: str | None
    rows_added: int | None
    rows_removed: int | None
    parameters: Annotated[dict[str, Any], BeforeValidator(_strings)]


class RowsWrite(BaseModel):
    rows: list[Row] = Field(min_length=1, examples=[[{"order_id": 1, "amount": 9.5}]])
    mode: Literal["append", "overwrite", "create"] = "append"


class LoadOut(RecordOut):
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
