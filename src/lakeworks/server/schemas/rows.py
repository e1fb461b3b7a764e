"""Rows answered by a preview or a query, and what a write did (tables and sql routers)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from pydantic import BaseModel, Field

from lakeworks.server.encoding import row_lists
from lakeworks.server.schemas.base import RecordOut


class WriteOut(RecordOut):
    table: str
    version: int
    operation: str
    rows: int


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
