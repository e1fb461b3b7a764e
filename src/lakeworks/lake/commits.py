"""What every table write commits with: the writer's Parquet properties and the commit's
metadata (who wrote, which write, which load)."""

from __future__ import annotations

from deltalake import CommitProperties, Transaction, WriterProperties

from lakeworks.context import Context
from lakeworks.hooks import current_inputs

# Row groups of 128K rows (DuckDB's own size is 122,880): the writer buffers one row group
# per file in memory, so 1M-row groups cost ~250 MiB more peak memory on wide loads.
# A dictionary page is capped at 64 KiB: low-cardinality columns keep dictionary encoding,
# unique-ish ones (ids, free text) fall back to plain at once instead of building a
# 1 MiB dictionary per column chunk first; that halved the Delta write of a 2M x 20 CSV.
WRITER_PROPERTIES = WriterProperties(
    max_row_group_size=131_072, compression="SNAPPY", dictionary_page_size_limit=64 << 10
)

LOAD_ID = "lakeworks.load_id"  # commit metadata: the load that made the commit


def commit_properties(
    ctx: Context,
    write_id: str,
    retries: int = 50,
    transaction: tuple[str, int] | None = None,
) -> CommitProperties:
    """The commit of one write: tagged with the user and ``write_id`` (and the load, inside
    one), so the version it made can be found among concurrent commits.

    ``transaction=(app_id, version)`` records an application's progress in the same commit
    (a Delta transaction identifier): a stream sink's position."""
    metadata = {"lakeworks.user": ctx.user, "lakeworks.write_id": write_id}
    load_id = current_inputs().load_id
    if load_id is not None:  # lets a re-run find a load that committed but was not recorded
        metadata[LOAD_ID] = str(load_id)
    app = [Transaction(*transaction)] if transaction else None
    return CommitProperties(
        custom_metadata=metadata, max_commit_retries=retries, app_transactions=app
    )
