"""Arrow data in, Delta-compatible Arrow out; schema compatibility between writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from lakeworks.errors import InvalidInputError, SchemaMismatchError

# Delta has no unsigned integers: widen each to the next signed type that holds every value.
_UNSIGNED = {
    pa.uint8(): pa.int16(),
    pa.uint16(): pa.int32(),
    pa.uint32(): pa.int64(),
    pa.uint64(): pa.int64(),
}

# Incoming type -> table types it may be written into without losing information.
_WIDENING = {
    pa.int8(): {pa.int16(), pa.int32(), pa.int64()},
    pa.int16(): {pa.int32(), pa.int64()},
    pa.int32(): {pa.int64()},
    pa.float16(): {pa.float32(), pa.float64()},
    pa.float32(): {pa.float64()},
}


def delta_type(t: pa.DataType) -> pa.DataType:
    """The type Delta stores for an Arrow type (strings plain, timestamps in microseconds)."""
    if t in _UNSIGNED:
        return _UNSIGNED[t]
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_dictionary(t):
        return delta_type(t.value_type)
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC" if t.tz else None)
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.list_(delta_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(delta_type(f.type)) for f in t])
    return t


def delta_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_type(delta_type(f.type)).with_nullable(True) for f in schema])


def to_reader(data: Any) -> pa.RecordBatchReader:
    """Turn user data into a stream of record batches.

    Accepts a pyarrow Table, RecordBatch or RecordBatchReader, anything speaking the Arrow
    C stream interface (pandas and Polars frames, DuckDB results), or a list of dicts.
    """
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return data.to_reader()
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]).to_reader()
    if isinstance(data, list):
        if not data:
            raise InvalidInputError(
                "cannot write an empty list of rows without a schema",
                hint="pass a pyarrow table with a schema instead",
            )
        return pa.Table.from_pylist(data).to_reader()
    if type(data).__module__.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False).to_reader()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    if hasattr(data, "to_arrow"):
        return to_reader(data.to_arrow())
    raise InvalidInputError(
        f"cannot write data of type {type(data).__name__}",
        hint="pass a pyarrow Table/RecordBatchReader, a pandas or Polars DataFrame, or a list "
        "of dicts",
    )


def check_compatible(table: str, existing: pa.Schema, incoming: pa.Schema) -> pa.Schema:
    """The schema to cast ``incoming`` to before appending it to ``existing``.

    New columns are accepted (they become nullable); a column missing from the incoming data
    is written as nulls; a changed type is refused naming the column and both types, unless
    the incoming type widens losslessly into the table's (int32 into int64, say).
    """
    result = []
    for field in existing:
        if field.name not in incoming.names:
            result.append(field)
            continue
        found = delta_type(incoming.field(field.name).type)
        if (
            found != field.type
            and field.type not in _WIDENING.get(found, set())
            and not pa.types.is_null(incoming.field(field.name).type)
        ):
            raise SchemaMismatchError(
                f"column {field.name!r} of table {table!r} has type {field.type}, "
                f"the data has {found}",
                hint="cast the column to the table's type, or write with "
                "schema_mode='overwrite' (mode='overwrite') to replace the schema",
                table=table,
                column=field.name,
                expected=str(field.type),
                found=str(found),
            )
        result.append(field)
    for field in incoming:
        if field.name not in existing.names:
            result.append(pa.field(field.name, delta_type(field.type), nullable=True))
    return pa.schema(result)


def cast_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Cast each batch to ``schema``, filling absent columns with nulls."""
    for batch in batches:
        columns = []
        # by position: looking names up in batch.schema.names per field is quadratic
        # (5,000 columns took 8 s)
        position = {name: i for i, name in enumerate(batch.schema.names)}
        for field in schema:
            if field.name in position:
                column = batch.column(position[field.name])
                if pa.types.is_dictionary(column.type):
                    column = column.dictionary_decode()
                columns.append(column.cast(field.type) if column.type != field.type else column)
            else:
                columns.append(pa.nulls(batch.num_rows, field.type))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def conformed(reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    """A reader yielding ``reader``'s batches cast to ``schema``."""
    return pa.RecordBatchReader.from_batches(schema, cast_batches(reader, schema))


def check_unique_names(table: str, schema: pa.Schema) -> None:
    seen: set[str] = set()
    for name in schema.names:
        if name.lower() in seen:
            raise InvalidInputError(
                f"column {name!r} appears twice in the data for {table!r}", table=table, column=name
            )
        seen.add(name.lower())
