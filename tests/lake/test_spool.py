"""The spool copies a stream while it is read, so a lost race for version 0 can retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from lakeworks.lake.spool import Spool

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
