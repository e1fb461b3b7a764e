"""Version 0 of a table: whether it is committed, and writing it while others may race.

A table's catalog entry is added before its first commit, so an entry without a committed
version is a first write that is running or was interrupted (killed); the next write
completes it. Writers that create the same table at once race for version 0 and one wins;
the others append (or overwrite) their rows after it, read again from the local spool that
copied the stream while the first try read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import write_deltalake

from lakeworks.context import Context
from lakeworks.lake import fence
from lakeworks.lake.commits import WRITER_PROPERTIES, commit_properties
from lakeworks.lake.schemas import check_compatible, conformed, delta_schema
from lakeworks.lake.spool import Spool
from lakeworks.lake.versions import arrow_schema, open_delta
from lakeworks.lake.write_errors import already_exists

if TYPE_CHECKING:
    from lakeworks.lake.storage import Storage
    from lakeworks.meta.catalog import TableEntry


class FirstWrites:
    """The first versions of a storage's tables: known ones, and writing new ones."""

    def __init__(self, storage: Storage, scratch_dir: Path) -> None:
        self.storage = storage
        self.scratch_dir = scratch_dir
        self._fs: pafs.FileSystem | None = None
        self._made: set[tuple[int, str]] = set()  # entries known to have a first commit

    def committed(self, entry: TableEntry) -> bool:
        """Whether the table's first version is committed (known forever once true)."""
        key = (entry.id, entry.location)
        if key in self._made:
            return True
        log = f"{entry.location.rstrip('/')}/_delta_log/"
        storage = self.storage
        self._fs = self._fs or storage.filesystem()
        paths = [storage.fs_path(log + f) for f in (f"{0:020d}.json", "_last_checkpoint")]
        made = any(i.type != pafs.FileType.NotFound for i in self._fs.get_file_info(paths))
        if made:
            self._made.add(key)
        return made

    def forget(self, entry: TableEntry) -> None:
        """The table is dropped: its entry may not be taken for committed again."""
        self._made.discard((entry.id, entry.location))

    def write(
        self,
        ctx: Context,
        entry: TableEntry,
        reader: pa.RecordBatchReader,
        mode: str,
        write_id: str,
        transaction: tuple[str, int] | None = None,
    ) -> tuple[int, str, int]:
        """Write version 0 of a table; (version, operation, rows). ``transaction``: see
        ``commits.commit_properties``.

        A writer that lost the race for version 0 raises AlreadyExistsError in mode
        ``error``, else commits its rows after the winner's.
        """
        options = self.storage.options()
        with Spool(reader, self.scratch_dir) as spool:
            target = delta_schema(spool.schema)
            try:
                write_deltalake(
                    entry.location,
                    fenced(conformed(spool.tee(), target)),
                    mode="error",
                    storage_options=options or None,
                    # no retry: version 0 or nothing (a retry would commit after the winner)
                    commit_properties=commit_properties(ctx, write_id, 0, transaction),
                    writer_properties=WRITER_PROPERTIES,
                )
                self._made.add((entry.id, entry.location))
                return 0, "create", spool.rows
            except Exception:
                if not self.committed(entry):
                    raise
            if mode == "error":
                raise already_exists(ctx, entry.name)
            dt = open_delta(entry.location, options, table=entry.name)
            target = check_compatible(entry.name, arrow_schema(dt), spool.schema)
            write_deltalake(
                dt,
                fenced(conformed(spool.reader(), target)),
                mode=mode,
                schema_mode="merge",
                commit_properties=commit_properties(ctx, write_id, transaction=transaction),
                writer_properties=WRITER_PROPERTIES,
            )
            return dt.version(), mode, spool.rows


def fenced(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """``reader``, checking the write fence after its last batch (before the commit)."""
    return pa.RecordBatchReader.from_batches(reader.schema, fence.guarded(reader))
