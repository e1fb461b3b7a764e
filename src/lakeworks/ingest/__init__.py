"""Ingestion: files, SQL databases and HTTP APIs into versioned tables.

    ws.ingest("data/orders-*.csv", "orders")                      # append, once per file set
    ws.ingest("s3://bucket/events.jsonl", "events", incremental_by="ts")
    ws.ingest("postgresql+psycopg://u:p@db/shop#customers", "customers", keys=["id"])
    ws.ingest("https://api.example.com/items", "items", http={"next_path": "next"})

Sources: a local path or glob, an ``s3://`` object or glob (copied to the scratch folder,
then read), CSV / Parquet / JSON lines (format from the extension or ``format=``); a
SQLAlchemy URL with ``#table`` or ``query=`` (read through a server-side cursor in
``chunk_size`` rows); an ``http(s)://`` JSON API, paginated by a next link or cursor in the
body, page numbers, or a ``Link`` header (see ``lakeworks.ingest.http``).

Mode and idempotency (re-running a load never duplicates rows):

* ``keys=[...]``: the rows are merged (upserted) on the keys; a re-run updates in place.
* ``incremental_by="col"``: only rows with ``col`` greater than the watermark of the last
  successful load of the same table from the same source are read (pushed into the query
  for databases), then appended (or merged with ``keys``). The new maximum is stored in
  the loads catalog.
* files, neither of the above: appended, but a load whose fingerprint (path, size and
  mtime of every file) already succeeded into the table is ``skipped`` with 0 rows.
* databases and HTTP APIs, neither of the above: a full refresh (``overwrite``) unless
  ``mode="append"``.

Malformed rows (wrong field count, a value that does not convert to the declared or
inferred type, a line that is not JSON, a field outside the schema) land in
``<table>__quarantine`` with the reason; the good rows land. Every load is recorded in the
catalog (``ws.loads(table)``) with rows read, written and quarantined, and its status:
succeeded, skipped, or failed with the error. A failed load raises and leaves the table
as it was.

A value bound for an integer column (the table's, or declared) that has a fraction or does
not fit (``9.5``, ``-0.5``, ``99999999999999999999`` into BIGINT) is quarantined with the
reason, never rounded: such columns are read as DECIMAL(38,18) and narrowed. A load whose
quarantine table cannot take rows (one with another schema) fails before committing its
good rows. A file load killed after its commit but before it was recorded is recognised by
its re-run (the commit carries the load id) and skipped.
"""

from lakeworks.ingest.loads import Loader, LoadResult

__all__ = ["LoadResult", "Loader"]
