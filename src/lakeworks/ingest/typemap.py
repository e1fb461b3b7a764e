"""Declared column types: SQL type names <-> Arrow types <-> DuckDB type names."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks.errors import InvalidInputError

# SQL type name (as a user declares it) -> Arrow type.
SQL_TO_ARROW: dict[str, pa.DataType] = {
    "BOOLEAN": pa.bool_(),
    "BOOL": pa.bool_(),
    "TINYINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INT": pa.int32(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "LONG": pa.int64(),
    "FLOAT": pa.float32(),
    "REAL": pa.float32(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "TEXT": pa.string(),
    "STRING": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "BLOB": pa.binary(),
    "BINARY": pa.binary(),
}

# Arrow type -> the DuckDB name used in read_csv(types=...).
ARROW_TO_DUCKDB: dict[pa.DataType, str] = {
    pa.bool_(): "BOOLEAN",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.date32(): "DATE",
    pa.binary(): "BLOB",
}

_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def arrow_type(name: str, column: str) -> pa.DataType:
    """The Arrow type for a declared SQL type name such as ``DOUBLE`` or ``DECIMAL(10,2)``."""
    key = " ".join(name.strip().upper().split())
    if key in SQL_TO_ARROW:
        return SQL_TO_ARROW[key]
    match = _DECIMAL.match(key)
    if match:
        return pa.decimal128(int(match[1]), int(match[2]))
    raise InvalidInputError(
        f"unknown type {name!r} declared for column {column!r}",
        hint=f"use one of {sorted(SQL_TO_ARROW)} or DECIMAL(p,s)",
        column=column,
        type=name,
    )


def declared_types(schema: dict[str, str] | pa.Schema | None) -> dict[str, pa.DataType]:
    """Normalise the ``schema=`` option of a load into column -> Arrow type."""
    if schema is None:
        return {}
    if isinstance(schema, pa.Schema):
        return {f.name: f.type for f in schema}
    if not isinstance(schema, dict):
        raise InvalidInputError(
            "schema must be a dict of column -> SQL type or a pa.Schema",
            hint='for example schema={"amount": "DOUBLE"}',
        )
    return {column: arrow_type(str(name), column) for column, name in schema.items()}


def duckdb_type(t: pa.DataType, column: str) -> str:
    """The DuckDB type name for an Arrow type, for read_csv(types=...)."""
    if t in ARROW_TO_DUCKDB:
        return ARROW_TO_DUCKDB[t]
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    raise InvalidInputError(
        f"type {t} declared for column {column!r} cannot be read from CSV",
        column=column,
        type=str(t),
    )


# Integer columns are read as this exact decimal (every int64 fits, with 18 fraction digits)
# and narrowed to their type after: a CSV reader casting "9.5" to BIGINT rounds it to 10,
# while here a value with a fraction or out of range is quarantined with the reason.
LOSSLESS_READ = pa.decimal128(38, 18)


def read_type(t: pa.DataType) -> pa.DataType:
    """The type a source reads a column of type ``t`` as: ``LOSSLESS_READ`` for integers."""
    return LOSSLESS_READ if pa.types.is_integer(t) else t


def narrowed(
    batch: pa.RecordBatch, targets: dict[str, pa.DataType]
) -> tuple[pa.RecordBatch, pa.RecordBatch, list[str]]:
    """``batch`` with each column of ``targets`` cast to its type, the rows whose value
    does not fit without loss taken out; returns (good rows, lossy rows, their reasons)."""
    read = {n: t for n, t in targets.items() if n in batch.schema.names}
    read = {n: t for n, t in read.items() if batch.schema.field(n).type == LOSSLESS_READ}
    try:  # the common case: every value fits (a safe cast refuses any loss)
        cast = {n: batch.column(n).cast(t) for n, t in read.items()}
        columns = [cast.get(f.name, batch.column(i)) for i, f in enumerate(batch.schema)]
        return pa.RecordBatch.from_arrays(columns, names=batch.schema.names), batch.slice(0, 0), []
    except pa.ArrowInvalid:
        pass
    fits = pa.array([True] * batch.num_rows)
    reasons = [[] for _ in range(batch.num_rows)]
    for name, t in read.items():
        column = batch.column(name)
        info = _INT_RANGE[t]
        whole = pc.equal(column, pc.round(column, 0))
        inside = pc.and_(
            pc.greater_equal(column, pa.scalar(info[0], LOSSLESS_READ)),
            pc.less_equal(column, pa.scalar(info[1], LOSSLESS_READ)),
        )
        ok = pc.fill_null(pc.and_(whole, inside), True)
        for i in pc.indices_nonzero(pc.invert(ok)).to_pylist():
            value = column[i].as_py().normalize()
            reasons[i].append(
                f"column {name!r}: {value:f} does not fit {ARROW_TO_DUCKDB[t]} without loss"
            )
        fits = pc.and_(fits, ok)
    good, bad = batch.filter(fits), batch.filter(pc.invert(fits))
    columns = [
        good.column(i).cast(read[f.name]) if f.name in read else good.column(i)
        for i, f in enumerate(good.schema)
    ]
    good = pa.RecordBatch.from_arrays(columns, names=good.schema.names)
    return good, bad, ["; ".join(r) for r in reasons if r]


_INT_RANGE = {
    t: (-(2 ** (t.bit_width - 1)), 2 ** (t.bit_width - 1) - 1)
    for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64())
}
