"""Writing what a dead process's prediction-log spool holds into ``_predictions``, exactly
once (the spool's format is in ``serving.spool``).

A spool folder is abandoned when its ``lock`` can be taken (``fcntl.flock``): the process
that made it holds the lock while it lives, and the OS releases it at its death, however
it died. The replay holds that lock while it works, so two starting processes never
replay one spool together and no process replays a live one.

Each planned batch is committed under the dead log's own Delta transaction identifier
(app id ``lakeworks.predictions:<log id>``, version the batch's sequence): a batch the dead
process had committed is found by its version and skipped. Entries no plan holds follow
as new batches, each planned in the spool before its commit, so a replay killed midway
is itself replayed without a duplicate. The folder is deleted once all is written; on a
failure it is left, unlocked, for the next start.

Example:
    >>> import tempfile, pathlib
    >>> abandoned(pathlib.Path(tempfile.mkdtemp()) / "none")
    []
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from lakeworks.context import Context
from lakeworks.serving.records import (
    PREDICTIONS,
    PREDICTIONS_SCHEMA,
    WRITER,
    LogEntry,
    app_id_of,
    rows_of,
)
from lakeworks.serving.spool import (
    KIND_ENTRY,
    KIND_PLAN,
    KIND_TOMBSTONE,
    LOCK,
    NUMBER,
    encode,
    read_segment,
    segments,
)
from lakeworks.serving.spooled import entry_of

if TYPE_CHECKING:
    from lakeworks.lake.tables import Tables

log = logging.getLogger("lakeworks.serving.replay")


@dataclass(frozen=True)
class Replayed:
    """What one replay did: rows written, batches written and found already committed,
    segments whose tail was torn (ignored)."""

    rows: int = 0
    written: int = 0
    skipped: int = 0
    torn: int = 0

    def __add__(self, other: Replayed) -> Replayed:
        return Replayed(*(a + b for a, b in zip(self.fields(), other.fields(), strict=True)))

    def fields(self) -> tuple[int, int, int, int]:
        return (self.rows, self.written, self.skipped, self.torn)


@dataclass
class _Contents:
    entries: dict[int, LogEntry]
    plans: dict[tuple[str, int], list[int]]
    dropped: set[int]
    torn: int
    last_segment: int


def abandoned(root: Path) -> list[tuple[Path, int]]:
    """The spool folders under ``root`` no live process holds, each with the descriptor
    of its lock, now held by the caller (closing it releases the lock)."""
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            fd = os.open(folder / LOCK, os.O_RDWR)
        except FileNotFoundError:  # being deleted by the replay that just finished it
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # alive, or being replayed by another start
            os.close(fd)
            continue
        found.append((folder, fd))
    return found


def replay_all(tables: Tables, root: Path) -> Replayed:
    """Replay every abandoned spool under ``root``; a spool that fails is left for the
    next start (and logged), the others are still replayed."""
    total = Replayed()
    for folder, fd in abandoned(root):
        try:
            total += replay(tables, folder)
        except Exception as exc:
            log.error("prediction log spool %s not replayed, kept for the next start: %s",
                      folder, exc)  # fmt: skip
        finally:
            os.close(fd)
    return total


def replay(tables: Tables, folder: Path) -> Replayed:
    """Write the spool in ``folder`` (whose lock the caller holds) and delete it."""
    app_id = app_id_of(folder.name)
    contents = _read(folder)
    if contents.torn:
        log.warning("prediction log spool %s: a torn last record ignored", folder)
    versions: dict[str, int] = {}
    done: set[int] = set(contents.dropped)
    rows = written = skipped = 0
    for (workspace, sequence), numbers in sorted(contents.plans.items(), key=lambda p: p[0][1]):
        if workspace not in versions:
            versions[workspace] = _version(tables, workspace, app_id)
        done |= set(numbers)
        if versions[workspace] >= sequence:
            skipped += 1
            continue
        rows += _commit(tables, contents, workspace, numbers, (app_id, sequence))
        versions[workspace] = sequence
        written += 1
    by_workspace: dict[str, list[int]] = {}
    for number, entry in sorted(contents.entries.items()):
        if number not in done:
            by_workspace.setdefault(entry.workspace, []).append(number)
    for workspace, numbers in by_workspace.items():
        if workspace not in versions:
            versions[workspace] = _version(tables, workspace, app_id)
        planned = [s for (w, s) in contents.plans if w == workspace]
        sequence = max([versions[workspace], *planned]) + 1
        _plan(folder, contents, workspace, sequence, numbers)
        rows += _commit(tables, contents, workspace, numbers, (app_id, sequence))
        written += 1
    shutil.rmtree(folder)
    log.info("prediction log spool %s replayed: %d rows in %d batches (%d already written)",
             folder.name, rows, written, skipped)  # fmt: skip
    return Replayed(rows, written, skipped, contents.torn)


def _read(folder: Path) -> _Contents:
    contents = _Contents({}, {}, set(), 0, 0)
    for path in segments(folder):
        contents.last_segment = int(path.stem)
        records, torn = read_segment(path)
        contents.torn += torn > 0
        for kind, body in records:
            if kind == KIND_ENTRY.decode():
                (number,) = NUMBER.unpack_from(body)
                contents.entries[number] = entry_of(body[NUMBER.size :])
            elif kind == KIND_PLAN.decode():
                value = json.loads(body)
                contents.plans[(value["w"], value["s"])] = value["ns"]  # a retry's plan wins
            elif kind == KIND_TOMBSTONE.decode():
                contents.dropped.add(NUMBER.unpack(body)[0])
    return contents


def _version(tables: Tables, workspace: str, app_id: str) -> int:
    """The last batch of log ``app_id`` committed to the workspace's table (0: none)."""
    ctx = Context(workspace=workspace, user=WRITER)
    if not tables.exists(ctx, PREDICTIONS):
        return 0
    return tables.open(ctx, PREDICTIONS).transaction_version(app_id) or 0


def _plan(
    folder: Path, contents: _Contents, workspace: str, sequence: int, numbers: list[int]
) -> None:
    """Record the replay's own batch before committing it (see the module docstring)."""
    contents.last_segment += 1
    body = json.dumps({"w": workspace, "s": sequence, "ns": numbers}).encode()
    fd = os.open(folder / f"{contents.last_segment}.seg", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.write(fd, encode(KIND_PLAN, body))
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit(
    tables: Tables,
    contents: _Contents,
    workspace: str,
    numbers: list[int],
    transaction: tuple[str, int],
) -> int:
    rows = [row for n in numbers if n in contents.entries for row in rows_of(contents.entries[n])]
    missing = [n for n in numbers if n not in contents.entries and n not in contents.dropped]
    if missing:  # a plan's entries are written before it: only a damaged spool lacks one
        log.error("prediction log spool: entries %s of a batch are missing", missing[:5])
    data = pa.Table.from_pylist(rows, schema=PREDICTIONS_SCHEMA)
    if not data.num_rows:  # every entry of the batch was given up
        return 0
    ctx = Context(workspace=workspace, user=WRITER)
    tables.write(ctx, PREDICTIONS, data, system=True, transaction=transaction)
    return data.num_rows
