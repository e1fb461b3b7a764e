"""The prediction log's write-ahead spool: each answered request appended to a local file
before it is answered, so a process killed outright (SIGKILL, OOM) loses no entry; the
next start writes what it left (``serving.replay``).

A spool is one folder ``<home>/spool/predictions/<log id>/`` holding a ``lock`` file,
held with ``fcntl.flock`` for the life of the process (so a live spool is never taken by
another process: the OS releases the lock when its holder dies), and numbered segment
files ``<n>.seg`` of records. A record is ``length u32 | crc32 u32 | kind u8 | body``
(little-endian; the checksum covers kind and body):

- ``R`` an entry: ``number u64`` then the entry as ``serving.spooled`` encodes it;
- ``P`` a plan, written before a commit: JSON ``{"w", "s", "ns"}``, the workspace, the
  batch's sequence (its Delta transaction version) and the entry numbers it holds;
- ``T`` a tombstone: ``number u64`` of an entry the log gave up (buffer full past the
  wait; counted and logged as unwritten), which a replay leaves out.

Reading stops at the first record that is short or fails its checksum (a write torn by
the kill): that tail is counted, never parsed. Segments are rotated by the writer each
round and deleted from the oldest while every entry in them is committed; a plan is
always written after its entries, so deleting a prefix never orphans one.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "1.seg"
    >>> _ = path.write_bytes(encode(KIND_TOMBSTONE, NUMBER.pack(7)) + b"\\x05\\x00")
    >>> read_segment(path)
    ([('T', b'\\x07\\x00\\x00\\x00\\x00\\x00\\x00\\x00')], 2)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HEADER = struct.Struct("<IIc")  # length of kind + body, crc32 of kind + body, kind
NUMBER = struct.Struct("<Q")
KIND_ENTRY, KIND_PLAN, KIND_TOMBSTONE = b"R", b"P", b"T"
LOCK = "lock"


def encode(kind: bytes, body: bytes) -> bytes:
    """One record: header then body."""
    return HEADER.pack(len(body) + 1, zlib.crc32(kind + body), kind) + body


def read_segment(path: Path) -> tuple[list[tuple[str, bytes]], int]:
    """The whole records of one segment as (kind, body), and the bytes of a torn tail
    (0 when the segment ends on a record boundary)."""
    data = path.read_bytes()
    records: list[tuple[str, bytes]] = []
    at = 0
    while at + HEADER.size <= len(data):
        length, crc, kind = HEADER.unpack_from(data, at)
        end = at + HEADER.size - 1 + length
        if length < 1 or end > len(data) or zlib.crc32(data[at + 8 : end]) != crc:
            break
        records.append((kind.decode(), data[at + HEADER.size : end]))
        at = end
    return records, len(data) - at


def segments(folder: Path) -> list[Path]:
    """The segment files of a spool, oldest first."""
    found = [p for p in folder.glob("*.seg") if p.stem.isdigit()]
    return sorted(found, key=lambda p: int(p.stem))


@dataclass
class Segment:
    number: int
    fd: int
    outstanding: int = 0  # entries appended and not yet committed nor given up
    records: int = 0


@dataclass
class Spool:
    """This process's spool (see the module docstring); thread-safe.

    ``append`` runs on request threads; ``plan``, ``done``, ``rotate`` and ``sync`` on
    the log's writer thread.
    """

    folder: Path
    fsync_every: float  # 0: fsync each entry before the request is answered
    log_id: str = ""
    _lock_fd: int = -1
    _segments: dict[int, Segment] = field(default_factory=dict)
    _current: Segment | None = None
    _next_number: int = 0
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _dirty: bool = False

    @classmethod
    def create(cls, root: Path, fsync_every: float, log_id: str) -> Spool:
        """A new spool folder ``root/<log_id>``, locked by this process.

        Made under a hidden name and renamed once locked: a replay looking at ``root``
        never sees a spool folder whose lock is not yet held.
        """
        root.mkdir(parents=True, exist_ok=True)
        making = root / f".{log_id}.new"
        making.mkdir()
        fd = os.open(making / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, str(os.getpid()).encode())  # for a person looking; the lock decides
        folder = root / log_id
        making.rename(folder)
        spool = cls(folder, fsync_every, log_id, fd)
        spool._open_segment(1)
        return spool

    # request threads ---------------------------------------------------------------
    def append(self, body: bytes) -> tuple[int, int]:
        """Write one entry (encoded by ``serving.spooled``); its (entry number, segment
        number). Once this returns, the entry survives the process being killed (and a
        power loss after the next sync). A request racing the log's close gets (0, 0):
        not spooled, as before the spool existed."""
        with self._mutex:
            if self._current is None:
                return 0, 0
            self._next_number += 1
            number = self._next_number
            segment = self._write(KIND_ENTRY, NUMBER.pack(number) + body)
            segment.outstanding += 1
            if self.fsync_every == 0:
                os.fsync(segment.fd)
            else:
                self._dirty = True
            return number, segment.number

    def give_up(self, number: int, segment: int) -> None:
        """Mark entry ``number`` as not to be written (the log counted it unwritten)."""
        with self._mutex:
            if self._current is None or segment not in self._segments:
                return
            self._write(KIND_TOMBSTONE, NUMBER.pack(number))
            self._segments[segment].outstanding -= 1

    # the writer thread -------------------------------------------------------------
    def plan(self, workspace: str, sequence: int, numbers: list[int]) -> None:
        """Record, durably, which entries batch ``sequence`` of ``workspace`` holds,
        before it is committed: a replay then finds the same batch under the same
        transaction version, and a committed one is skipped."""
        body = json.dumps({"w": workspace, "s": sequence, "ns": numbers}).encode()
        with self._mutex:
            segment = self._write(KIND_PLAN, body)
            self._dirty = False
        os.fsync(segment.fd)  # also every entry before it, in this segment
        for older in list(self._segments.values()):
            if older is not segment:
                os.fsync(older.fd)

    def done(self, segments: list[int]) -> None:
        """Entries of these segments (one number per entry) are committed."""
        with self._mutex:
            for number in segments:
                if number in self._segments:  # 0: an entry not spooled
                    self._segments[number].outstanding -= 1

    def rotate(self) -> None:
        """Start a new segment when the current one holds records; delete the oldest
        segments while every entry in them is committed."""
        with self._mutex:
            current = self._current
            if current is not None and current.records:
                self._open_segment(current.number + 1)
            for number in sorted(self._segments):
                segment = self._segments[number]
                if segment is self._current or segment.outstanding > 0:
                    break
                os.close(segment.fd)
                (self.folder / f"{number}.seg").unlink()
                del self._segments[number]

    def sync(self) -> None:
        """fsync what was appended since the last sync (the power-loss bound)."""
        with self._mutex:
            if not self._dirty:
                return
            self._dirty = False
            fds = [s.fd for s in self._segments.values()]
        for fd in fds:
            os.fsync(fd)

    def outstanding(self) -> int:
        with self._mutex:
            return sum(s.outstanding for s in self._segments.values())

    def close(self) -> None:
        """Release the spool: deleted when every entry is committed, else left (with its
        lock released) for the next start to replay."""
        with self._mutex:
            empty = all(s.outstanding == 0 for s in self._segments.values())
            for segment in self._segments.values():
                if not empty:
                    os.fsync(segment.fd)
                os.close(segment.fd)
            self._segments.clear()
            self._current = None
            if empty:
                shutil.rmtree(self.folder, ignore_errors=True)
            os.close(self._lock_fd)  # releases the flock

    def _open_segment(self, number: int) -> None:
        path = self.folder / f"{number}.seg"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._current = self._segments[number] = Segment(number, fd)

    def _write(self, kind: bytes, body: bytes) -> Segment:
        segment = self._current
        assert segment is not None, "the spool is closed"
        os.write(segment.fd, encode(kind, body))
        segment.records += 1
        return segment
