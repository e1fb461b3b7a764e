"""Bodies of the sql router (answers: ``RowsOut`` or ``WriteOut`` in ``schemas.rows``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SQL_MAX = 1_000_000


class SqlRequest(BaseModel):
    query: str = Field(
        min_length=1,
        max_length=SQL_MAX,
        examples=["select status, count(*) as n from orders group by 1"],
    )
    limit: int = Field(default=1000, ge=0, le=100_000)
    timeout: float | None = Field(
        default=None,
        ge=0,
        le=10**9,
        description="seconds the statement may run; at most the server's statement_timeout "
        "(the default)",
    )


class SqlExport(BaseModel):
    """A query whose whole result is answered as a file."""

    query: str = Field(min_length=1, max_length=SQL_MAX, examples=["select * from orders"])
    format: Literal["csv", "parquet"] = "csv"
    timeout: float | None = Field(default=None, ge=0, le=10**9)
