"""``lakeworks sql "QUERY" [--format table|csv|json] [--limit N]``."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import CancelledError
from lakeworks.lake.cancel import Reason, on_interrupt
from lakeworks.lake.tables import WriteResult
from lakeworks.sdk import Workspace
from lakeworks.server.encoding import jsonable

TABLE_ROWS = 1000  # a terminal table longer than this helps nobody; csv/json are unlimited


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="one SQL statement; orders@v3 reads version 3")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    limit: Annotated[int | None, typer.Option(min=0, help="at most N rows")] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0, help="stop after N seconds; 0: no limit [default: statement_timeout, 300]"
        ),
    ] = None,
) -> None:
    """Run SQL over the workspace's tables; CREATE TABLE AS / INSERT INTO write a version.

    Ctrl-C stops the statement and exits with code 130.
    """
    with workspace(ctx, create=True) as ws:
        try:
            statements = ws.platform.sql.statements
            on_interrupt(lambda: _run(ws, query, format, limit, timeout), statements)
        except CancelledError as exc:
            if exc.fields.get("reason") != Reason.INTERRUPTED.name.lower():
                raise
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(130) from None


def _run(
    ws: Workspace, query: str, format: OutputFormat, limit: int | None, timeout: float | None
) -> None:
    result = ws.sql(query, timeout)
    if isinstance(result, WriteResult):
        written = f"version {result.version}, {result.rows} rows"
        typer.echo(f"{result.operation} {result.table}: {written}")
        return
    if format is OutputFormat.table and limit is None:
        limit = TABLE_ROWS
    reader = result.batches()
    rows = _records(reader, limit)
    WRITERS[format](reader.schema, rows)


def _records(reader: pa.RecordBatchReader, limit: int | None) -> Iterator[dict]:
    count = 0
    for batch in reader:
        for row in batch.to_pylist():
            if limit is not None and count >= limit:
                reader.close()
                return
            count += 1
            yield row


def _write_table(schema: pa.Schema, rows: Iterator[dict]) -> None:
    out = Table(*schema.names)
    for row in rows:
        out.add_row(*("" if v is None else _text(v) for v in row.values()))
    console().print(out)


def _write_csv(schema: pa.Schema, rows: Iterator[dict]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(schema.names)
    for row in rows:
        writer.writerow("" if v is None else _text(v) for v in row.values())


def _write_json(schema: pa.Schema, rows: Iterator[dict]) -> None:
    """A JSON array of objects, one per line, streamed."""
    sys.stdout.write("[")
    for i, row in enumerate(rows):
        sys.stdout.write(("," if i else "") + "\n" + json.dumps(jsonable(row)))
    sys.stdout.write("\n]\n")


def _text(value: object) -> str:
    encoded = jsonable(value)
    return encoded if isinstance(encoded, str) else json.dumps(encoded)


WRITERS = {
    OutputFormat.table: _write_table,
    OutputFormat.csv: _write_csv,
    OutputFormat.json: _write_json,
}
