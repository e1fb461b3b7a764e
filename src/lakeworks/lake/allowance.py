"""The storage quota of a write, checked batch by batch while the write streams.

The lake owns this; the quota behind it is ``lakeworks.limits.Limits`` (security plugs
its quotas in). A write whose workspace has a storage quota streams through
``Allowance.stream``: before each batch goes to the Delta writer, the bytes streamed so
far (Arrow's in-memory size, an upper bound of the Parquet bytes for most data) are
added to the workspace's current use and checked. Over the limit the stream raises, the
Delta writer commits nothing, and the write fails like any other failed write: the
table stays at its previous version, a table it was creating is removed. ``refused``
keeps the error, since the Delta writer may wrap what the stream raised.

Example:
    >>> import pyarrow as pa
    >>> from lakeworks.limits import Unlimited
    >>> allowance = Allowance(Unlimited(), "default")
    >>> allowance.stream(pa.table({"a": [1]}).to_reader()).read_all().num_rows
    1
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from lakeworks.errors import QuotaExceededError
from lakeworks.limits import STORAGE_BYTES, Limits


class Allowance:
    def __init__(self, limits: Limits, workspace: str) -> None:
        self.limits = limits
        self.workspace = workspace
        self.streamed = 0
        self.refused: QuotaExceededError | None = None

    def stream(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        """``reader``, checked per batch; as it is when the workspace has no storage quota
        (one cached lookup, nothing per batch)."""
        if self.limits.limit(self.workspace, STORAGE_BYTES) is None:
            return reader
        return pa.RecordBatchReader.from_batches(reader.schema, self._checked(reader))

    def _checked(self, reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
        for batch in reader:
            self.streamed += batch.nbytes
            try:
                self.limits.check(self.workspace, STORAGE_BYTES, adding=self.streamed)
            except QuotaExceededError as exc:
                self.refused = exc
                raise
            yield batch
