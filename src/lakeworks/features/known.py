"""When each file of a Delta table became known: the commit that added it, from the log.

The Delta log is the record of which version added which file: each
``_delta_log/<version>.json`` holds that commit's ``add`` actions and its ``commitInfo``
(with its timestamp). Reading it through the storage's filesystem works the same on local
disk and on S3. A file's modification time is not enough: with two writers, a file written
before another writer's commit and committed after it would be placed at the earlier
commit, so its rows would count as known before they were.

Rules, each late rather than early (late hides a value a little longer; early leaks):

- a file added by a data-changing commit is known at that commit's time;
- a file added with ``dataChange: false`` (OPTIMIZE and other rewrites) holds rows that
  were all known by the last data-changing commit before it, and gets that time;
- a file whose adding commit is no longer in the log (older commits cleaned up after a
  checkpoint) was added before the oldest commit still there, and gets that commit's time.

What was read is kept per table (``LOGS``), so the next training set reads only the
commits made since: on S3 each commit is a request. Measured on a local table of 500
commits: 53-88 ms to read the whole log, 0.2 ms when nothing new was committed.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import unquote

import pyarrow.fs as pafs

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeworks.lake.storage.base import Storage

_COMMIT = re.compile(r"^(\d{20})\.json$")
_NO_DATA_CHANGE = {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES"}


def table_path(dt: DeltaTable, storage: Storage) -> str:
    """The table's folder as the storage's pyarrow filesystem names it."""
    return storage.fs_path(dt.table_uri.removeprefix("file://")).rstrip("/")


@dataclass(frozen=True)
class _Log:
    """What the log said up to ``version``: per file the time it became known, and the
    times of the oldest and the last data-changing commit read."""

    version: int
    known: Mapping[str, datetime]
    oldest: datetime | None
    last_change: datetime | None


class _Logs:
    """The log read so far, per table (its location and Delta table id), at most
    ``size`` tables, least recently used out first.

    Commits are immutable once written, so an entry only grows: a later version reads
    the commits after the one it holds and no others. Re-creating a table at the same
    location gives it a new table id, hence a new entry; a file removed since stays in
    ``known`` but is never asked for (only a version's own files are). Entries are
    replaced whole, never changed in place, so a reader never sees one half-updated.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], _Log] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> _Log | None:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
            return self._entries.get(key)

    def put(self, key: tuple[str, str], log: _Log) -> None:
        with self._lock:
            held = self._entries.get(key)
            if held is None or held.version < log.version:
                self._entries[key] = log
                self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


LOGS = _Logs()


def added_at(dt: DeltaTable, storage: Storage) -> tuple[Mapping[str, datetime], datetime]:
    """Per file (its path relative to the table, decoded), when the commit that added it
    was made; and the time for files not found in the log (see the module docstring)."""
    key = (dt.table_uri, dt.metadata().id)
    held = LOGS.get(key)
    if held is None or held.version < dt.version():
        held = _extend(dt, storage, held)
        LOGS.put(key, held)
    return held.known, held.oldest or datetime.now(UTC)


def _extend(dt: DeltaTable, storage: Storage, held: _Log | None) -> _Log:
    """``held`` with the commits after its version up to ``dt``'s read from the log."""
    after = -1 if held is None else held.version
    fs = storage.filesystem()
    log = table_path(dt, storage) + "/_delta_log"
    found = []
    for info in fs.get_file_info(pafs.FileSelector(log)):
        match = _COMMIT.match(info.base_name)
        if match and after < int(match.group(1)) <= dt.version():
            found.append((int(match.group(1)), info))
    found.sort(key=lambda item: item[0])
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(lambda item: _read(fs, item[1].path), found))
    root = dt.table_uri.rstrip("/") + "/"
    known = {} if held is None else dict(held.known)
    oldest = None if held is None else held.oldest
    last_change = None if held is None else held.last_change
    for (_, info), text in zip(found, texts, strict=True):
        stamp, operation, adds = _parse(text, info)
        oldest = stamp if oldest is None else oldest
        if operation not in _NO_DATA_CHANGE or last_change is None:
            last_change = stamp
        for path, data_change in adds:
            path = path.removeprefix(root)  # an absolute path of a file under the table
            known[path] = stamp if data_change and operation not in _NO_DATA_CHANGE else last_change
    return _Log(dt.version(), MappingProxyType(known), oldest, last_change)


def _read(fs: pafs.FileSystem, path: str) -> str:
    with fs.open_input_stream(path) as stream:
        return stream.read().decode()


def _parse(text: str, info: pafs.FileInfo) -> tuple[datetime, str, list[tuple[str, bool]]]:
    """A commit's time (in-commit timestamp, else commitInfo's, else the log file's
    modification time, as the Delta protocol has it), operation and added files."""
    stamp_ms, operation, adds = None, "", []
    for line in text.splitlines():
        if not line.strip():
            continue
        action = json.loads(line)
        if "commitInfo" in action:
            info_ = action["commitInfo"]
            stamp_ms = info_.get("inCommitTimestamp", info_.get("timestamp"))
            operation = info_.get("operation", "")
        elif "add" in action:
            add = action["add"]
            adds.append((unquote(add["path"]), add.get("dataChange", True)))
    if stamp_ms is None:
        return info.mtime.astimezone(UTC), operation, adds
    return datetime.fromtimestamp(stamp_ms / 1000, UTC), operation, adds
