"""A stream kept in a local Arrow IPC file so that a write can be tried again.

The first write of a table can lose the race for version 0 to a concurrent creator; its
rows must then be appended instead, but a stream can be read only once. The spool holds
them on local disk (not in memory) until the write has committed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa


class Spool:
    """The batches of ``reader`` written to a file under ``folder``; read with ``reader()``.

    Use as a context manager: the file is deleted on exit.
    """

    def __init__(self, reader: pa.RecordBatchReader, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="spool-", suffix=".arrows", dir=folder)
        os.close(fd)
        self.path = Path(name)
        self.schema = reader.schema
        self.rows = 0
        try:
            with pa.OSFile(name, "wb") as sink, pa.ipc.new_stream(sink, reader.schema) as out:
                for batch in reader:
                    out.write_batch(batch)
                    self.rows += batch.num_rows
        except BaseException:
            self.close()
            raise

    def reader(self) -> pa.RecordBatchReader:
        """A new reader over the spooled batches, from the start."""
        return pa.ipc.open_stream(pa.memory_map(str(self.path)))

    def close(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
