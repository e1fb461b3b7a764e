"""A query result as a file: CSV or Parquet, written from an Arrow stream.

Example:
    >>> import pyarrow as pa
    >>> encode(pa.table({"n": [1, 2]}).to_reader(), "csv")
    b'"n"\\n1\\n2\\n'
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lakeworks.errors import InvalidInputError

MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def encode(reader: pa.RecordBatchReader, fmt: str) -> bytes:
    """Every batch of ``reader`` in format ``fmt`` (``csv`` or ``parquet``), in memory."""
    writers = {"csv": pacsv.CSVWriter, "parquet": pq.ParquetWriter}
    if fmt not in writers:
        raise InvalidInputError(
            f"unknown export format {fmt!r}", hint=f"use one of {sorted(writers)}", format=fmt
        )
    sink = pa.BufferOutputStream()
    with writers[fmt](sink, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes()
