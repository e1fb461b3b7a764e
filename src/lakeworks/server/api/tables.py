"""/api/v1/workspaces/{ws}/tables: list, describe, history, preview, write, drop, loads."""

from __future__ import annotations

from typing import Annotated

import pyarrow as pa
from fastapi import APIRouter, Query, Response

from lakeworks.errors import InvalidInputError
from lakeworks.server.dependencies import ID_MAX, ContextDep, PlatformDep, TableName
from lakeworks.server.errors import responses
from lakeworks.server.schemas.rows import RowsOut, WriteOut
from lakeworks.server.schemas.tables import (
    LoadOut,
    RowsWrite,
    TableDetail,
    TableSummary,
    VersionOut,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}/tables", tags=["tables"])


@router.get("")
def list_tables(ctx: ContextDep, platform: PlatformDep) -> list[TableSummary]:
    return [TableSummary.model_validate(t) for t in platform.tables.list(ctx)]


@router.get("/{name}")
def describe_table(name: TableName, ctx: ContextDep, platform: PlatformDep) -> TableDetail:
    """Schema (column name and Arrow type), current version, rows, files and size."""
    return TableDetail.model_validate(platform.tables.describe(ctx, name))


@router.get("/{name}/history")
def table_history(
    name: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    limit: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
) -> list[VersionOut]:
    """Every version, newest first."""
    return [VersionOut.model_validate(v) for v in platform.tables.history(ctx, name, limit)]


@router.get("/{name}/preview")
def preview_table(
    name: TableName,
    ctx: ContextDep,
    platform: PlatformDep,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 100,
    version: Annotated[int | None, Query(ge=0, le=ID_MAX)] = None,
) -> RowsOut:
    """The first ``limit`` rows, of the current version or of ``version``."""
    data = platform.tables.read(ctx, name, version=version, limit=limit + 1)
    return RowsOut.read(data, limit)


@router.post("/{name}/rows", status_code=201, responses=responses(409))
def write_rows(
    name: TableName, body: RowsWrite, ctx: ContextDep, platform: PlatformDep
) -> WriteOut:
    """Append or overwrite rows (creating the table if needed); ``create`` fails with 409
    when the table exists."""
    data = _arrow_rows(name, body.rows)
    if body.mode == "create":
        return WriteOut.model_validate(platform.tables.create(ctx, name, data))
    return WriteOut.model_validate(platform.tables.write(ctx, name, data, mode=body.mode))


@router.delete("/{name}", status_code=204)
def drop_table(name: TableName, ctx: ContextDep, platform: PlatformDep) -> Response:
    platform.tables.drop(ctx, name)
    return Response(status_code=204)


@router.get("/{name}/loads")
def table_loads(name: TableName, ctx: ContextDep, platform: PlatformDep) -> list[LoadOut]:
    """The ingestion loads into this table, oldest first."""
    return [LoadOut.model_validate(r) for r in platform.catalog.loads(ctx.workspace, name)]


def _arrow_rows(table: str, rows: list[dict]) -> pa.Table:
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise InvalidInputError(
            f"the rows for table {table!r} cannot be read as columns: {exc}",
            hint="give every row the same keys, with one JSON type per key and integers "
            "within 64 bits",
            table=table,
        ) from exc
