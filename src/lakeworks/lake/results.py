"""Query results in the types a user expects: DuckDB's HUGEINT as 64-bit integers.

DuckDB computes ``sum`` of integers and ``count_if`` as HUGEINT (128 bits), which Arrow
holds as ``decimal128(38, 0)``: pandas users would get Python ``Decimal`` objects (or, by
DuckDB's own ``df()``, floats that round above 2**53), polars users ``Decimal``. A result
known whole (``arrow``, ``to_pandas``, ``to_polars``) has each HUGEINT column as ``int64``
when every value fits, else left exact as ``decimal128(38, 0)``. A declared
``DECIMAL(38, 0)`` stays a decimal. A stream (``batches``) keeps HUGEINT as
``decimal128(38, 0)``: its schema is fixed before its values are seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    import pandas
    import polars


def hugeint_columns(relation: duckdb.DuckDBPyRelation) -> list[int]:
    """The positions of ``relation``'s HUGEINT columns."""
    return [i for i, kind in enumerate(relation.types) if str(kind) == "HUGEINT"]


def narrowed(table: pa.Table, columns: list[int]) -> pa.Table:
    """``table`` with each of ``columns`` as int64 when all its values fit, else as is."""
    for i in columns:
        try:
            as_int = table.column(i).cast(pa.int64(), safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a value beyond int64
            continue
        table = table.set_column(i, table.field(i).with_type(pa.int64()), as_int)
    return table


def arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """The whole result as Arrow, HUGEINT narrowed where it fits."""
    return narrowed(relation.to_arrow_table(), hugeint_columns(relation))


def to_pandas(relation: duckdb.DuckDBPyRelation) -> pandas.DataFrame:
    """DuckDB's own conversion, or through ``arrow`` when a column is HUGEINT."""
    if not hugeint_columns(relation):
        return relation.df()
    return arrow(relation).to_pandas()


def to_polars(relation: duckdb.DuckDBPyRelation) -> polars.DataFrame:
    """DuckDB's own conversion, or through ``arrow`` when a column is HUGEINT."""
    if not hugeint_columns(relation):
        return relation.pl()
    import polars

    return polars.from_arrow(arrow(relation))
