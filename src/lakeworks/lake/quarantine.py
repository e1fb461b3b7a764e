"""The quarantine table of a table: its name and the columns every writer of it fills.

The lake owns them (it reserves the ``__quarantine`` suffix), so that the loader
(``ingest.quarantine``) and the quality gate both write quarantine tables without either
importing the other.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA = pa.schema(
    [
        pa.field("load_id", pa.int64(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("line", pa.int64()),
        pa.field("raw_record", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("columns", pa.string()),
        pa.field("quarantined_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def quarantine_table(table: str) -> str:
    return f"{table}__quarantine"
