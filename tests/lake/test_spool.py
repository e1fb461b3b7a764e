"""The spool copies a stream while it is read, so a lost race for version 0 can retry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import lakeworks
from lakeworks.config import Settings
from lakeworks.lake.spool import Spool, remove_stale

SCHEMA = pa.schema([("id", pa.int64())])


def _source(batches: int, fail_at: int | None = None) -> pa.RecordBatchReader:
    def batches_() -> Iterator[pa.RecordBatch]:
        for i in range(batches):
            if i == fail_at:
                raise OSError(f"source broke at batch {i}")
            yield pa.record_batch([pa.array(range(i * 10, i * 10 + 10))], schema=SCHEMA)

    return pa.RecordBatchReader.from_batches(SCHEMA, batches_())


def test_the_first_pass_reads_the_source_and_a_retry_reads_every_batch(tmp_path: Path) -> None:
    with Spool(_source(5), tmp_path) as spool:
        first = spool.tee()
        taken = [first.read_next_batch() for _ in range(2)]  # a writer that gave up early
        assert [b["id"][0].as_py() for b in taken] == [0, 10]
        again = spool.reader().read_all()
        assert again["id"].to_pylist() == list(range(50))
        assert spool.rows == 50
        assert spool.reader().read_all().num_rows == 50  # each retry reads from the start
        path = spool.path
    assert not path.exists()


def test_a_source_that_failed_is_never_replayed_as_complete(tmp_path: Path) -> None:
    with Spool(_source(5, fail_at=3), tmp_path) as spool:
        with pytest.raises(OSError, match="batch 3"):
            spool.tee().read_all()
        with pytest.raises(OSError, match="batch 3"):  # not the 30 rows copied so far
            spool.reader()


# Stale spool files -------------------------------------------------------------------------
HOLD = """
import os, signal, sys
from pathlib import Path
import pyarrow as pa
from lakeworks.lake.spool import Spool

schema = pa.schema([("id", pa.int64())])
spool = Spool(pa.RecordBatchReader.from_batches(schema, []), Path(sys.argv[1]))
print(spool.path, flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()  # alive until the test closes stdin
"""


def _hold(folder: Path, then: str) -> tuple[subprocess.Popen[str], Path]:
    env = {**os.environ, "PYTHONPATH": str(Path(lakeworks.__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), then],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, Path(proc.stdout.readline().strip())


def _age(path: Path, seconds: float = 3600) -> Path:
    old = time.time() - seconds
    os.utime(path, (old, old))
    return path


def test_a_spool_file_left_by_kill_9_is_removed_by_the_next_spool(tmp_path: Path) -> None:
    proc, left = _hold(tmp_path, "kill")
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert left.exists() and left.name.startswith(f"spool-{proc.pid}-")
    _age(left)
    with Spool(_source(2), tmp_path) as spool:
        assert not left.exists()
        assert spool.reader().read_all().num_rows == 20
    assert list(tmp_path.iterdir()) == []


def test_the_file_of_a_living_spool_is_kept_however_old(tmp_path: Path) -> None:
    proc, held = _hold(tmp_path, "wait")
    try:
        _age(held)
        with Spool(_source(1), tmp_path) as own:
            _age(own.path)
            assert remove_stale(tmp_path) == []  # another process's, and this process's own
            assert held.exists() and own.path.exists()
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert remove_stale(tmp_path) == [held]  # its writer is gone now


def test_only_old_unheld_spool_files_are_removed(tmp_path: Path) -> None:
    young = tmp_path / "spool-1-young.arrows"
    young.write_bytes(b"x")  # may be one another process has just created
    legacy = tmp_path / "spool-k2j3h4.arrows"  # an older lakeworks' name, no pid
    legacy.touch()
    _age(legacy)
    other = tmp_path / "spill"
    other.mkdir()
    _age(other)
    assert remove_stale(tmp_path) == [legacy]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spill", "spool-1-young.arrows"]


def test_a_first_write_removes_the_spool_files_a_killed_load_left(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", progress=False)
    settings.scratch_dir.mkdir(parents=True)
    left = settings.scratch_dir / "spool-999999-abc.arrows"
    left.write_bytes(b"half a stream")
    _age(left)
    ws = lakeworks.connect(settings=settings, user="ann")
    try:
        ws.write("t", pa.table({"id": [1, 2]}))
        assert ws.read("t")["id"].to_pylist() == [1, 2]
    finally:
        ws.platform.close()
    assert not left.exists()
