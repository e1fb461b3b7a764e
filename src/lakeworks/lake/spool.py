"""A stream copied to a local Arrow IPC file as it is read, so that a write can be retried.

The first write of a table can lose the race for version 0 to a concurrent creator; its
rows must then be appended instead, but a stream can be read only once. The spool tees
the batches the writer takes into a file on local disk (not memory), so the first try
reads the source directly and only the rare retry reads the file back.

A spool holds an ``flock`` on its file while it lives, and the kernel drops it when the
process dies, however it dies; opening a spool removes the files nobody holds, which
``kill -9`` or a power cut left behind.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

PATTERN = "spool-*.arrows"
# A file younger than this may be one another process has created and not yet locked.
_GRACE_S = 60.0


class Spool:
    """The batches of ``reader``, copied under ``folder`` while ``tee()`` yields them.

    ``tee()`` is the first (and usually only) pass; ``reader()`` drains whatever the first
    pass did not take and reads every batch again from the file. A source that failed
    part-way is never replayed as if complete: ``reader()`` raises its error again.
    Use as a context manager: the file is deleted on exit.
    """

    def __init__(self, reader: pa.RecordBatchReader, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale(folder)
        prefix = f"spool-{os.getpid()}-"  # the pid says whose it is to someone listing the folder
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".arrows", dir=folder)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until close(): others see the file is in use
        self._lock = fd
        self.path = Path(name)
        self.schema = reader.schema
        self.rows = 0
        self._source = reader
        self._sink: pa.NativeFile | None = pa.OSFile(name, "wb")
        self._out = pa.ipc.new_stream(self._sink, reader.schema)
        self._error: BaseException | None = None
        self._done = False

    def tee(self) -> pa.RecordBatchReader:
        """The source's batches, each written to the spool before it is handed on."""
        return pa.RecordBatchReader.from_batches(self.schema, self._batches())

    def reader(self) -> pa.RecordBatchReader:
        """A new reader over all of the source's batches, from the start, read from disk."""
        for _ in self._batches():  # what the first pass left unread
            pass
        self._finish()
        return pa.ipc.open_stream(pa.OSFile(str(self.path), "rb"))

    def _batches(self) -> Iterator[pa.RecordBatch]:
        while not self._done:
            if self._error is not None:
                raise self._error
            try:
                batch = self._source.read_next_batch()
                self._out.write_batch(batch)
            except StopIteration:
                self._done = True
                return
            except BaseException as exc:  # the source or the disk: the copy is incomplete
                self._error = exc
                raise
            self.rows += batch.num_rows
            yield batch

    def _finish(self) -> None:
        if self._sink is not None:
            self._out.close()
            self._sink.close()
            self._sink = None

    def close(self) -> None:
        try:
            self._finish()
        finally:
            self.path.unlink(missing_ok=True)
            if self._lock >= 0:
                os.close(self._lock)
                self._lock = -1

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def remove_stale(folder: Path) -> list[Path]:
    """Delete the spool files under ``folder`` that no living spool holds; returns them.

    A file is in use while its spool's ``flock`` is held (released by the kernel when the
    writer dies, so a reused pid does not keep a dead writer's file), and files younger than
    a minute are left alone. Safe to run from several processes at once.
    """
    removed = []
    now = time.time()
    for path in folder.glob(PATTERN):
        try:
            if now - path.stat().st_mtime < _GRACE_S:
                continue
            with open(path, "rb") as file:
                try:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # its writer is alive
                    continue
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # closed by its writer, or removed by another sweep
            continue
        removed.append(path)
    return removed
