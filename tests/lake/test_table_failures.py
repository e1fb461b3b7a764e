"""Bad paths of table writes: nothing half-written, errors that name the thing."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, UnavailableError


def test_failed_first_write_leaves_no_table(ws: lw.Workspace) -> None:
    def broken():  # noqa: ANN202 - a stream that fails half way
        yield pa.record_batch({"a": [1, 2]})
        raise RuntimeError("source went away")

    reader = pa.RecordBatchReader.from_batches(pa.schema([("a", pa.int64())]), broken())
    with pytest.raises(Exception, match="source went away"):
        ws.write("t", reader)
    assert ws.tables() == []


def test_failed_append_leaves_the_table_as_it_was(ws: lw.Workspace) -> None:
    ws.write("t", pa.table({"a": [1]}))

    def broken():  # noqa: ANN202
        yield pa.record_batch({"a": [2]})
        raise RuntimeError("boom")

    reader = pa.RecordBatchReader.from_batches(pa.schema([("a", pa.int64())]), broken())
    with pytest.raises(Exception, match="boom"):
        ws.write("t", reader)
    assert ws.read("t").column("a").to_pylist() == [1]
    assert len(ws.history("t")) == 1


def test_duplicate_column_names_are_refused(ws: lw.Workspace) -> None:
    data = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "A"])
    with pytest.raises(InvalidInputError, match="twice"):
        ws.write("t", data)


def test_invalid_table_name(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="invalid table name"):
        ws.write("../escape", pa.table({"a": [1]}))


def test_bad_delete_predicate(ws: lw.Workspace) -> None:
    ws.write("t", pa.table({"a": [1]}))
    with pytest.raises(InvalidInputError, match="cannot delete from 't'"):
        ws.delete("t", "nonexistent_col = 1")
    assert ws.read("t").num_rows == 1


def test_unreachable_s3_endpoint(tmp_path: Path) -> None:
    settings = Settings.load(
        home=tmp_path,
        storage_url="s3://nowhere/lake",
        s3_endpoint_url="http://127.0.0.1:1",
        s3_access_key_id="x",
        s3_secret_access_key="x",
    )
    ws = lw.connect(settings=settings)
    with pytest.raises(UnavailableError, match="cannot reach S3 bucket 'nowhere'"):
        ws.write("t", pa.table({"a": [1]}))
    ws.platform.close()


def _append_from_process(home: str, writer: int) -> None:
    ws = lw.connect(settings=Settings.load(home=home, progress=False))
    for _ in range(3):
        ws.write("events", pa.table({"writer": [writer] * 50}))


def test_two_processes_appending_lose_nothing(settings: Settings) -> None:
    lw.connect(settings=settings).write("events", pa.table({"writer": pa.array([], pa.int64())}))
    spawn = multiprocessing.get_context("spawn")
    procs = [
        spawn.Process(target=_append_from_process, args=(str(settings.home), i)) for i in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    ws = lw.connect(settings=settings)
    assert ws.sql("select count(*) from events").fetchall() == [(300,)]
    assert len(ws.history("events")) == 7
    ws.platform.close()
