"""The lakeworks error a failed table write raises, from what the Delta writer raised."""

from __future__ import annotations

import pyarrow as pa
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.exceptions import SchemaMismatchError as DeltaSchemaMismatch

from lakeworks.context import Context
from lakeworks.errors import (
    AlreadyExistsError,
    ConflictError,
    LakeworksError,
    SchemaMismatchError,
    UnavailableError,
)
from lakeworks.lake import fence


def write_error(exc: BaseException, table: str) -> LakeworksError:
    """``exc`` as the lakeworks error naming ``table``; a fenced write raises its FencedError."""
    if isinstance(exc, LakeworksError):
        return exc
    fence.check()  # refused by its fence inside the Delta writer: raise the FencedError
    if isinstance(exc, CommitFailedError):
        return ConflictError(
            f"a concurrent change to table {table!r} conflicted with this write: {exc}",
            hint="retry the write",
            table=table,
        )
    if isinstance(exc, DeltaSchemaMismatch):
        return SchemaMismatchError(
            f"the data does not match the schema of {table!r}: {exc}", table=table
        )
    if isinstance(exc, OSError | DeltaError) and "connect" in str(exc).lower():
        return UnavailableError(f"cannot write table {table!r}: {exc}", table=table)
    if isinstance(exc, pa.ArrowInvalid | pa.ArrowTypeError | pa.ArrowNotImplementedError):
        return SchemaMismatchError(
            f"cannot convert the data for table {table!r}: {exc}", table=table
        )
    return LakeworksError(
        f"writing table {table!r} failed: {type(exc).__name__}: {exc}", table=table
    )


def already_exists(ctx: Context, name: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"table {name!r} already exists in workspace {ctx.workspace!r}",
        hint="use mode='append' or 'overwrite'",
        table=name,
        workspace=ctx.workspace,
    )
