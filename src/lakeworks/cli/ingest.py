"""``lakeworks ingest SOURCE --table NAME [...]``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from lakeworks.cli.session import workspace


class SourceFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


class LoadMode(StrEnum):
    append = "append"
    overwrite = "overwrite"
    merge = "merge"


def ingest(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="file, folder, glob, database URL or HTTP URL")],
    table: Annotated[str, typer.Option("--table", "-t", help="table to load into")],
    keys: Annotated[str | None, typer.Option(help="key columns, comma-separated")] = None,
    incremental_by: Annotated[
        str | None, typer.Option(help="column whose high-water mark makes loads incremental")
    ] = None,
    format: Annotated[SourceFormat | None, typer.Option("--format")] = None,
    mode: Annotated[LoadMode | None, typer.Option()] = None,
    query: Annotated[str | None, typer.Option(help="SQL to run on a database source")] = None,
    schema: Annotated[
        str | None,
        typer.Option(help="stated column types, e.g. amount=double,ts=timestamp"),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="text encoding of CSV files, e.g. latin-1 [default: utf-8]"),
    ] = None,
    max_line_size: Annotated[
        int | None,
        typer.Option(help="longest CSV record in bytes, longer ones are quarantined [2000000]"),
    ] = None,
) -> None:
    """Load a source into a table; bad rows are quarantined, never dropped."""
    options: dict[str, Any] = {
        "keys": [k.strip() for k in keys.split(",") if k.strip()] if keys else None,
        "incremental_by": incremental_by,
        "format": format.value if format else None,
        "mode": mode.value if mode else None,
        "query": query,
        "schema": parse_schema(schema) if schema else None,
        "encoding": encoding,
        "max_line_size": max_line_size,
    }
    with workspace(ctx, create=True) as ws:
        result = ws.ingest(source, table, **{k: v for k, v in options.items() if v is not None})
    typer.echo(
        f"load {result.load_id} into {result.table}: {result.status}: read {result.rows_read}, "
        f"written {result.rows_written}, quarantined {result.rows_quarantined}"
        + (f", version {result.version}" if result.version is not None else "")
    )
    if result.rows_quarantined and result.quarantine_table:
        typer.echo(f"quarantined rows are in table {result.quarantine_table}")
    if result.watermark is not None:
        typer.echo(f"watermark {result.watermark}")
    if result.message:
        typer.echo(result.message)
    if result.status == "failed":
        raise typer.Exit(1)


def parse_schema(text: str) -> dict[str, str]:
    """``amount=double,ts=timestamp`` -> {"amount": "double", "ts": "timestamp"}."""
    types = {}
    for item in (part.strip() for part in text.split(",")):
        column, sep, name = item.partition("=")
        if not item or not sep or not column.strip() or not name.strip():
            raise typer.BadParameter(
                f"{item!r} is not COLUMN=TYPE (for example --schema amount=double,ts=timestamp)",
                param_hint="--schema",
            )
        types[column.strip()] = name.strip()
    return types
