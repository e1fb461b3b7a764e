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
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
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


def added_at(dt: DeltaTable, storage: Storage) -> tuple[dict[str, datetime], datetime]:
    """Per file (its path relative to the table, decoded), when the commit that added it
    was made; and the time for files not found in the log (see the module docstring)."""
    fs = storage.filesystem()
    log = table_path(dt, storage) + "/_delta_log"
    found = []
    for info in fs.get_file_info(pafs.FileSelector(log)):
        match = _COMMIT.match(info.base_name)
        if match and int(match.group(1)) <= dt.version():
            found.append((int(match.group(1)), info))
    found.sort(key=lambda item: item[0])
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(lambda item: _read(fs, item[1].path), found))
    root = dt.table_uri.rstrip("/") + "/"
    known: dict[str, datetime] = {}
    last_change = oldest = None
    for (_, info), text in zip(found, texts, strict=True):
        stamp, operation, adds = _parse(text, info)
        oldest = stamp if oldest is None else oldest
        if operation not in _NO_DATA_CHANGE or last_change is None:
            last_change = stamp
        for path, data_change in adds:
            path = path.removeprefix(root)  # an absolute path of a file under the table
            known[path] = stamp if data_change and operation not in _NO_DATA_CHANGE else last_change
    return known, oldest or datetime.now(UTC)


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
