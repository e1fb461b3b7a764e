"""The quarantine table ``<table>__quarantine``: malformed rows with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from lakeworks.errors import SchemaMismatchError
from lakeworks.ingest.base import Reject
from lakeworks.lake.quarantine import SCHEMA, quarantine_table
from lakeworks.lake.schemas import check_compatible
from lakeworks.lake.versions import arrow_schema

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables

__all__ = ["LOAD_SCHEMA", "SCHEMA", "as_arrow", "check_writable", "quarantine_table", "write"]

# What a load writes: the shared schema plus each record's exact bytes (the quality gate
# writes SCHEMA; Delta adds the nullable column to older quarantine tables on append).
LOAD_SCHEMA = SCHEMA.append(pa.field("raw_bytes", pa.binary()))


def as_arrow(load_id: int, rejects: list[Reject]) -> pa.Table:
    at = datetime.now(UTC)
    return pa.Table.from_pydict(
        {
            "load_id": [load_id] * len(rejects),
            "source": [r.source for r in rejects],
            "line": [r.line for r in rejects],
            "raw_record": [r.raw_record for r in rejects],
            "reason": [r.reason for r in rejects],
            "columns": [r.columns for r in rejects],
            "quarantined_at": [at] * len(rejects),
            "raw_bytes": [r.raw_bytes for r in rejects],
        },
        schema=LOAD_SCHEMA,
    )


def write(
    tables: Tables, ctx: Context, table: str, load_id: int, rejects: list[Reject]
) -> tuple[str | None, int]:
    """Append the rejects of one load that are not quarantined yet.

    Returns the quarantine table's name (None when nothing was written) and how many
    rejects were already there (an incremental re-read of the same file meets them again).
    """
    name = quarantine_table(table)
    fresh = _fresh(tables, ctx, name, rejects)
    if fresh:
        tables.write(ctx, name, as_arrow(load_id, fresh), mode="append", system=True)
    return (name if fresh else None), len(rejects) - len(fresh)


def check_writable(tables: Tables, ctx: Context, table: str) -> None:
    """Raise before a load commits anything when its quarantine table cannot take rows.

    Good rows and rejects are two commits; checking first means a load never lands its
    good rows and then fails on the quarantine (which a re-run would load again).
    """
    name = quarantine_table(table)
    if not tables.exists(ctx, name):
        return
    try:
        check_compatible(name, arrow_schema(tables.open(ctx, name)), SCHEMA)
    except SchemaMismatchError as exc:
        raise SchemaMismatchError(
            f"the quarantine table {name!r} cannot take the rejected rows of a load into "
            f"{table!r} ({exc}); nothing was written",
            hint=f"{name!r} was not made by lakeworks: drop or rename it "
            f"(`lakeworks tables drop {name}`), then load again",
            **exc.fields,
        ) from exc


def _fresh(tables: Tables, ctx: Context, name: str, rejects: list[Reject]) -> list[Reject]:
    if not rejects or not tables.exists(ctx, name):
        return rejects
    sources = ", ".join("'" + s.replace("'", "''") + "'" for s in {r.source for r in rejects})
    seen = tables.read(
        ctx,
        name,
        columns=["source", "line", "raw_record"],
        where=f"source IN ({sources})",
        unmasked=True,
    ).to_pylist()
    known = {(row["source"], row["line"], row["raw_record"]) for row in seen}
    return [r for r in rejects if (r.source, r.line, r.raw_record) not in known]
