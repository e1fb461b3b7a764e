"""/api/v1/workspaces/{ws}/sql: run one statement over the workspace's tables."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lakeworks.lake import cancel, export
from lakeworks.lake.tables import WriteResult
from lakeworks.server.connection import while_connected
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.errors import responses
from lakeworks.server.schemas.rows import RowsOut, WriteOut
from lakeworks.server.schemas.sql import SqlExport, SqlRequest

router = APIRouter(prefix="/api/v1/workspaces/{ws}", tags=["sql"])


@router.post("/sql", responses=responses(409, 504))
async def run_sql(
    body: SqlRequest, ctx: ContextDep, platform: PlatformDep, request: Request
) -> RowsOut | WriteOut:
    """A query returns at most ``limit`` rows (``truncated`` says when there were more);
    CREATE TABLE AS and INSERT INTO return the version they wrote. Bad SQL is a 422 carrying
    DuckDB's message. A statement past ``timeout`` is a 504; it is stopped when the client
    disconnects, and a 503 when the server shuts down."""
    timeout = cancel.bounded(body.timeout, platform.settings.statement_timeout)
    scope = cancel.Scope()

    def run() -> RowsOut | WriteOut:
        result = platform.sql.execute(ctx, body.query, timeout, scope)
        if isinstance(result, WriteResult):
            return WriteOut.model_validate(result)
        return RowsOut.read(result.batches(), body.limit)

    return await while_connected(request, scope, run)


@router.post(
    "/sql/export",
    responses={**responses(504), 200: {"content": {t: {} for t in export.MEDIA_TYPES.values()}}},
    response_class=Response,
)
def export_sql(body: SqlExport, ctx: ContextDep, platform: PlatformDep) -> Response:
    """The whole result of a query (not a write) as a CSV or Parquet file download; bad
    SQL is a 422 carrying DuckDB's message, as for ``/sql``. The statement's timeout bounds
    it (a download is not stopped when its client goes: the file is read to its end)."""
    timeout = cancel.bounded(body.timeout, platform.settings.statement_timeout)
    query = platform.sql.query(ctx, body.query, timeout)
    data = export.encode(query.batches(), body.format)
    named = f'attachment; filename="result.{body.format}"'
    return Response(
        data, media_type=export.MEDIA_TYPES[body.format], headers={"Content-Disposition": named}
    )
